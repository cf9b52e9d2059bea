// The NetworkPolicy block of a path, in words: one home for the text trace (brief and -v),
// the UI's trace view and the HTML report, so they say the same thing.
import type { FelixVerdict, PathPolicy, PolicyDecision, PolicyJudgement } from './model.ts';

const DECISION: Record<PolicyDecision, string> = {
  'not-isolated': 'not isolated (allowed)',
  allowed: 'allowed',
  denied: 'DENIED',
  unknown: 'unknown',
};

export function decisionText(decision: PolicyDecision): string {
  return DECISION[decision];
}

function felixLine(felix: FelixVerdict): string {
  if (felix.verdict === 'not-reached') return `felix: the packet never reached ${felix.endpointChain ?? 'the workload chain'} on ${felix.node}`;
  const chains = felix.policyChains.map((c) => (c.policy ? `${c.chain} (${c.policy})` : c.chain));
  const through = chains.length > 0 ? ` → ${chains.join(' → ')}` : ' (no policy chain: the profile decides)';
  const agreement = felix.agrees === undefined ? '' : felix.agrees ? ', as the policies say' : ', NOT what the policies say';
  return `felix on ${felix.node}: ${felix.endpointChain}${through} → ${felix.verdict}${agreement}`;
}

function judgementLines(j: PolicyJudgement, verbose: boolean): string[] {
  const arrow = j.direction === 'egress' ? `${j.pod} → ${j.peer}` : `${j.peer} → ${j.pod}`;
  const lines = [`${j.direction} ${arrow} ${j.port}: ${decisionText(j.decision)}`];
  if (verbose) lines.push(`  ${j.explanation}`);
  for (const p of j.policies) lines.push(`  ${p.policy} (${p.source.file}:${p.source.line}): ${p.why}`);
  if (j.felix) lines.push(`  ${felixLine(j.felix)}`);
  if (verbose && j.felix?.rule) lines.push(`    ${j.felix.rule}`);
  return lines;
}

/** The block's lines, unindented: the caller indents them. */
export function policyLines(policy: PathPolicy, verbose: boolean): string[] {
  return [`NetworkPolicy: ${policy.summary}`, ...policy.judgements.flatMap((j) => judgementLines(j, verbose).map((l) => `  ${l}`))];
}

/**
 * One short line per judged direction, for the UI's trace pane (about 40 columns): the pod by
 * name only, felix's agreement as ✓ or what it did instead, and "unenforced" where nothing
 * turns the policy into rules.
 */
export function policyBrief(policy: PathPolicy): { text: string; denied: boolean }[] {
  return policy.judgements.map((j) => {
    const pod = j.pod.slice(j.pod.indexOf('/') + 1);
    // not-isolated reads "open": no policy selects the pod for this direction.
    const decision = j.decision === 'not-isolated' ? 'open' : policy.enforcement === 'not-enforced' ? j.decision : decisionText(j.decision);
    const tail = policy.enforcement === 'not-enforced' ? ', unenforced' : j.felix?.agrees === true ? ' (felix ✓)' : j.felix?.agrees === false ? ` (felix: ${j.felix.verdict})` : '';
    return { text: `policy ${j.direction} ${pod}: ${decision}${tail}`, denied: j.decision === 'denied' && policy.enforcement !== 'not-enforced' };
  });
}
