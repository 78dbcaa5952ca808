// Sealed records in a project bundle (verifier/bundle_seals.py): every sealed event (a
// bid-phase record kept sealed until its section's opening; the bundle carries its plaintext
// sealed envelope) must be listed by a BIDS_UNSEALED event of the bundle for its section, and
// every index such an event lists must be in the bundle as a sealed event. Sections still
// sealed are named by the bundle without counts and reported as not checked.

import { FormatError } from './bytes.mjs';
import { RELEASE_TYPE, isSealed, parseRelease } from './envelope.mjs';

const ID = 'sealed_records';
const LAW = '招标投标法 第22条';

function sectionName(section) {
  return section === null ? ['the project as a whole', '整个项目'] : [`section ${section}`, `标段 ${section}`];
}

export class BundleSeals {
  constructor(report, bundle) {
    this.report = report;
    this.bundle = bundle;
    this.sealed = new Map(); // index → [section, row]
    this.publicIndexes = new Set();
    this.listed = new Map(); // index → [section, release index]
    this.released = new Map(); // section → first release index
    this.previous = -1;
  }

  fail(row, en, zh) {
    this.report.fail(ID, en, zh);
    if (row) row.result = 'FAIL sequence';
  }

  /** One readable event of the bundle, with its timeline row. */
  see(index, env, row) {
    if (env.project_id !== this.bundle.projectId) return;
    if (isSealed(env)) {
      if (index <= this.previous || this.sealed.has(index)) {
        this.fail(row, `events out of log order or repeated: sealed record at index ${index}`,
          `密封记录顺序错误或重复：第 ${index} 号`);
      }
      this.sealed.set(index, [typeof env.section_id === 'string' ? env.section_id : null, row]);
    } else {
      this.publicIndexes.add(index);
      if (env.type === RELEASE_TYPE) this.release(index, env, row);
    }
    this.previous = Math.max(this.previous, index);
  }

  release(index, env, row) {
    let rel;
    try {
      rel = parseRelease(env);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      this.report.fail(ID, `${RELEASE_TYPE} event at index ${index} is malformed: ${err.message}`,
        `第 ${index} 号开标解密事件格式错误`);
      row.result = 'FAIL payload';
      return;
    }
    if (!this.released.has(rel.section)) this.released.set(rel.section, index);
    for (const i of rel.indexes) if (!this.listed.has(i)) this.listed.set(i, [rel.section, index]);
  }

  /** Match sealed events and releases; then name the sections still sealed. */
  finish() {
    let opened = 0;
    for (const [index, [section, row]] of [...this.sealed].sort((a, b) => a[0] - b[0])) {
      const owner = this.listed.get(index);
      const [en, zh] = sectionName(section);
      if (owner === undefined) {
        this.fail(row, `sealed record at index ${index} appears without its opening record ` +
          `(${RELEASE_TYPE} of ${en})`, `第 ${index} 号密封记录缺少其开标解密记录（${zh}）`);
      } else if (owner[0] !== section) {
        this.fail(row, `sealed record at index ${index} of ${en} is listed by the opening record ` +
          `of ${sectionName(owner[0])[0]} (index ${owner[1]})`, `第 ${index} 号密封记录被其他标段的开标记录列出`);
      } else {
        opened += 1;
      }
    }
    for (const [index, [section, at]] of [...this.listed].sort((a, b) => a[0] - b[0])) {
      if (this.sealed.has(index)) continue;
      const what = this.publicIndexes.has(index) ? ['is not a sealed record in the bundle', '不是密封记录']
        : ['is missing from the bundle', '在包中缺失'];
      this.fail(null, `record ${index} sealed until the opening of ${sectionName(section)[0]} ` +
        `${what[0]} (listed at index ${at})`, `开标解密记录列出的第 ${index} 号密封记录${what[1]}`);
    }
    if (this.sealed.size || this.released.size) {
      this.report.ok(ID, `${opened} sealed record(s) matched with their opening`, `${opened} 条密封记录与开标解密记录相符`);
    }
    this.markers();
  }

  /** The sections the bundle names as still sealed (no count): not checked. */
  markers() {
    for (const section of this.bundle.sealed) {
      const [en, zh] = sectionName(section);
      const at = this.released.get(section);
      if (at !== undefined) {
        this.fail(null, `the bundle names ${en} as sealed until its opening, yet carries its ` +
          `${RELEASE_TYPE} at index ${at}`, `包中声明${zh}仍密封，却含有其开标解密记录`);
      }
      this.report.skip(ID, `${en}: bid-phase records sealed until its opening (${LAW}): not in this bundle`,
        `${zh}：投标阶段记录在开标前保持密封（${LAW}），不在本包中`, { pending: false });
    }
  }
}
