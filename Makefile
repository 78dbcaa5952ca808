# The two commands: `make demo` and `make test`. Both set themselves up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := hardhat-node/node_modules/.installed
PORTAL_JS_STAMP := portal-js/node_modules/.installed

.PHONY: demo test setup sysdeps node portal-js portal-assets wheels lint typecheck check-contracts check-generated bench serve clean

setup: $(STAMP)

# System packages the tests and the demo use: Chromium for the portal's browser tests and
# screenshots, CJK fonts for its pages, SoftHSM2 for keys in PKCS#11, Go's x/mod for the
# note cross-check. Installed once through apt-get (as root); already-present ones are skipped.
SYSDEPS := /usr/bin/chromium:chromium /usr/bin/chromedriver:chromium-driver \
	/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk \
	/usr/lib/softhsm/libsofthsm2.so:softhsm2 /usr/bin/pkcs11-tool:opensc /usr/bin/go:golang-go \
	/usr/share/gocode/src/golang.org/x/mod/go.mod:golang-golang-x-mod-dev
sysdeps:
	@missing=""; for pair in $(SYSDEPS); do test -e "$${pair%%:*}" || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; \
	  else echo "not root: install them with: sudo apt-get install$$missing" >&2; fi; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps merkletools==1.0.3
	# merkletools ships a top-level 'tests' package that would shadow ours
	rm -rf $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/tests
	touch $(STAMP)

node: $(NODE_STAMP)

$(NODE_STAMP): hardhat-node/package.json hardhat-node/package-lock.json
	cd hardhat-node && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# The portal's in-browser verifier (its bundle is committed and checked for reproducibility)
# and the local assets of /docs, /redoc and the accessibility checker (copied, not committed).
portal-js: $(PORTAL_JS_STAMP)

$(PORTAL_JS_STAMP): portal-js/package.json portal-js/package-lock.json
	cd portal-js && SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error
	touch $(PORTAL_JS_STAMP)

portal-assets: setup portal-js
	$(BIN)/python scripts/build_portal_js.py --vendor-only

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy ledger verifier chain_access witness_api witness_cosign

check-contracts: setup node
	$(BIN)/python scripts/compile_contracts.py --check

check-generated: setup portal-js
	$(BIN)/python scripts/gen_events_doc.py --check
	$(BIN)/python scripts/gen_rules_doc.py --check
	$(BIN)/python scripts/gen_vectors.py --check
	$(BIN)/python scripts/build_portal_js.py --check

test: sysdeps setup node portal-js lint typecheck check-contracts check-generated portal-assets
	$(BIN)/python -m pytest -q -p no:cacheprovider

demo: sysdeps setup node portal-assets
	$(BIN)/python scripts/demo.py

serve: setup portal-assets
	# a fresh checkout has no log yet: create it (keys, schema, registry) first
	$(BIN)/witness status >/dev/null 2>&1 || $(BIN)/witness init
	$(BIN)/witness serve $(SERVE_ARGS)

# The two distributions: witness-ledger (the service) and witness-verify (the verifier alone)
wheels: setup portal-assets
	$(BIN)/python scripts/build_wheels.py -o dist

bench: setup node
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) dist hardhat-node/node_modules portal-js/node_modules witness_api/portal/static/vendor witness-data demo-output bench-results
