// Command gocheck opens this repository's test vectors with Go's reference code
// (golang.org/x/mod/sumdb/note and .../tlog) and prints each case's outcome as JSON:
// {"<file>": {"<case>": "valid" | "invalid: <reason>"}}. The Python test compares them
// with the outcomes the vectors expect; Go's packages are the reference for the note
// rules and for RFC 6962/9162 proofs, so any difference is a bug on our side.
package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type noteCase struct {
	Name  string   `json:"name"`
	Note  string   `json:"note"`
	Vkeys []string `json:"vkeys"`
}

type vkeyCase struct {
	Name string `json:"name"`
	Vkey string `json:"vkey"`
}

type checkpointCase struct {
	Name   string `json:"name"`
	Note   string `json:"note"`
	Origin string `json:"origin"`
}

type inclusionCase struct {
	Name     string   `json:"name"`
	Index    int64    `json:"index"`
	Size     int64    `json:"size"`
	LeafHash string   `json:"leaf_hash"`
	Proof    []string `json:"proof"`
	Root     string   `json:"root"`
}

type consistencyCase struct {
	Name  string   `json:"name"`
	Size1 int64    `json:"size1"`
	Size2 int64    `json:"size2"`
	Root1 string   `json:"root1"`
	Root2 string   `json:"root2"`
	Proof []string `json:"proof"`
}

func outcome(err error) string {
	if err != nil {
		return "invalid: " + err.Error()
	}
	return "valid"
}

func load(dir, name string, v any) {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := json.Unmarshal(data, v); err != nil {
		fmt.Fprintln(os.Stderr, name, err)
		os.Exit(2)
	}
}

func openNote(text string, vkeys []string) error {
	var verifiers []note.Verifier
	for _, k := range vkeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return err
		}
		verifiers = append(verifiers, v)
	}
	_, err := note.Open([]byte(text), note.VerifierList(verifiers...))
	return err
}

// checkpointBody applies the C2SP tlog-checkpoint body rules on top of note.Open:
// origin line, decimal size without leading zeros, base64 32-byte root.
func checkpointBody(text, origin string) error {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] != origin {
		return fmt.Errorf("origin line is not %q", origin)
	}
	if lines[1] != "0" && strings.HasPrefix(lines[1], "0") {
		return fmt.Errorf("size has a leading zero")
	}
	if _, err := strconv.ParseUint(lines[1], 10, 64); err != nil {
		return err
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != 32 {
		return fmt.Errorf("root is not 32 bytes of base64")
	}
	return nil
}

func hashes(hexes []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(hexes))
	for i, s := range hexes {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("bad hash %q", s)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

func notes(dir string) map[string]string {
	var file struct {
		Cases     []noteCase `json:"cases"`
		VkeyCases []vkeyCase `json:"vkey_cases"`
	}
	load(dir, "note.json", &file)
	out := map[string]string{}
	for _, c := range file.Cases {
		out[c.Name] = outcome(openNote(c.Note, c.Vkeys))
	}
	for _, c := range file.VkeyCases {
		_, err := note.NewVerifier(c.Vkey)
		out[c.Name] = outcome(err)
	}
	return out
}

func checkpoints(dir string) map[string]string {
	var file struct {
		Vkey  string           `json:"vkey"`
		Cases []checkpointCase `json:"cases"`
	}
	load(dir, "checkpoint.json", &file)
	out := map[string]string{}
	for _, c := range file.Cases {
		err := openNote(c.Note, []string{file.Vkey})
		if err == nil {
			body := c.Note[:strings.LastIndex(c.Note, "\n\n")+1]
			err = checkpointBody(body, c.Origin)
		}
		out[c.Name] = outcome(err)
	}
	return out
}

func inclusions(dir string) map[string]string {
	var file struct {
		Cases []inclusionCase `json:"cases"`
	}
	load(dir, "inclusion.json", &file)
	out := map[string]string{}
	for _, c := range file.Cases {
		all, err := hashes(append([]string{c.LeafHash, c.Root}, c.Proof...))
		if err == nil {
			err = tlog.CheckRecord(tlog.RecordProof(all[2:]), c.Size, all[1], c.Index, all[0])
		}
		out[c.Name] = outcome(err)
	}
	return out
}

func consistencies(dir string) map[string]string {
	var file struct {
		Cases []consistencyCase `json:"cases"`
	}
	load(dir, "consistency.json", &file)
	out := map[string]string{}
	for _, c := range file.Cases {
		all, err := hashes(append([]string{c.Root1, c.Root2}, c.Proof...))
		if err == nil {
			err = tlog.CheckTree(tlog.TreeProof(all[2:]), c.Size2, all[1], c.Size1, all[0])
		}
		out[c.Name] = outcome(err)
	}
	return out
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gocheck VECTORS_DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	result := map[string]map[string]string{
		"note.json":        notes(dir),
		"checkpoint.json":  checkpoints(dir),
		"inclusion.json":   inclusions(dir),
		"consistency.json": consistencies(dir),
	}
	if err := json.NewEncoder(os.Stdout).Encode(result); err != nil {
		os.Exit(1)
	}
}
