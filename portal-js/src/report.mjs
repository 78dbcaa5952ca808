// The result of a check in the browser: one entry per check id (stable ids the portal pages
// translate), each ok, failed or skipped, with an English and a Chinese detail; the verdict
// is derived, never set: any failure → inconsistent; otherwise a skipped check that the
// verdict needs (the anchor, a checkpoint) → pending; otherwise intact.

export const TITLES = {
  format: ['File format', '文件格式'],
  promise_signature: ['Promise signature (signed receipt)', '受理承诺签名'],
  batch_proof: ['Batch proof (the event in its signed batch)', '批次证明（事件在签名批次中的位置）'],
  jcs: ['Canonical event bytes (RFC 8785)', '事件规范编码 (RFC 8785)'],
  leaf_hash: ['Leaf hash', '叶哈希'],
  checkpoint_signature: ['Checkpoint signature', '检查点签名'],
  key_rotation: ['Log key rotations', '日志密钥轮换'],
  consistency_proof: ['Consistency between checkpoints', '检查点一致性证明'],
  inclusion_proof: ['Inclusion proof', '包含证明'],
  witness_cosignatures: ['Witness cosignatures', '见证方联署'],
  bid_file_sha256: ['Bid file SHA-256', '投标文件哈希'],
  project_chain: ['Project chain (sequence and links)', '项目事件链（序号与前序链接）'],
  sealed_records: ['Sealed records and their opening', '密封记录与开标解密'],
  project_head: ['Signed project head', '项目末端签名'],
  lead_package: ['Lead package statements', '线索包声明'],
  anchor_on_chain: ['Anchor on chain', '链上锚定'],
  further_chains: ['Further chains', '其他链'],
};
const MAX_DETAILS = 3;

function joinDetails(list) {
  const shown = list.slice(0, MAX_DETAILS).join('; ');
  return list.length > MAX_DETAILS ? `${shown}; … (+${list.length - MAX_DETAILS})` : shown;
}

export class Report {
  constructor() {
    this.checks = new Map();
    this.subject = {};
    this.anchor = undefined;
    this.timeline = undefined;
  }

  entry(id) {
    if (!this.checks.has(id)) {
      this.checks.set(id, { id, status: null, en: [], zh: [], blocksIntact: false });
    }
    return this.checks.get(id);
  }

  /** ``id`` ran and held (unless it already failed; a later ok never hides a failure). */
  ok(id, en = '', zh = '') {
    const c = this.entry(id);
    if (c.status === null || c.status === 'skipped') {
      if (c.status === 'skipped' && c.blocksIntact) return; // one checkpoint still pending
      c.status = 'ok';
      c.en = en ? [en] : [];
      c.zh = zh ? [zh] : [];
    }
  }

  fail(id, en, zh) {
    const c = this.entry(id);
    if (c.status !== 'failed') {
      c.status = 'failed';
      c.en = [];
      c.zh = [];
    }
    c.en.push(en);
    c.zh.push(zh);
  }

  /** ``id`` could not run. ``pending``: the verdict cannot be intact without it. */
  skip(id, en, zh, { pending = true } = {}) {
    const c = this.entry(id);
    if (c.status === 'failed') return;
    if (c.status === 'skipped') {
      c.en.push(en);
      c.zh.push(zh);
    } else {
      c.status = 'skipped';
      c.en = [en];
      c.zh = [zh];
    }
    c.blocksIntact = c.blocksIntact || pending;
  }

  failed(id) {
    return this.checks.get(id)?.status === 'failed';
  }

  anyFailed() {
    return [...this.checks.values()].some((c) => c.status === 'failed');
  }

  verdict() {
    const all = [...this.checks.values()];
    const failed = all.find((c) => c.status === 'failed');
    if (failed) return { verdict: 'inconsistent', first: failed };
    const waiting = all.find((c) => c.status === 'skipped' && c.blocksIntact);
    return waiting ? { verdict: 'pending', first: waiting } : { verdict: 'intact', first: null };
  }

  toJSON() {
    const { verdict, first } = this.verdict();
    const out = { verdict, ...reasonOf(verdict, first), checks: [] };
    for (const c of this.checks.values()) {
      const [title, titleZh] = TITLES[c.id] ?? [c.id, c.id];
      const check = { id: c.id, status: c.status ?? 'skipped', where: 'browser', title,
        title_zh: titleZh };
      if (c.en.length) check.detail = joinDetails(c.en);
      if (c.zh.length) check.detail_zh = joinDetails(c.zh);
      out.checks.push(check);
    }
    out.subject = this.subject;
    if (this.anchor) out.anchor = this.anchor;
    if (this.timeline) out.timeline = this.timeline;
    return out;
  }
}

function reasonOf(verdict, first) {
  if (verdict === 'intact') {
    return { reason: 'everything checked is consistent and anchored on chain',
      reason_zh: '全部核验一致，且已在链上锚定' };
  }
  const [title, titleZh] = TITLES[first.id] ?? [first.id, first.id];
  if (verdict === 'pending') {
    return { reason: `valid so far, not yet confirmed: ${title}: ${first.en[0] ?? ''}`,
      reason_zh: `目前有效，尚待确认：${titleZh}：${first.zh[0] ?? ''}` };
  }
  return { reason: `${title} failed: ${first.en[0] ?? ''}`,
    reason_zh: `${titleZh}未通过：${first.zh[0] ?? ''}` };
}
