// The Node versions strata supports, the same range as package.json's engines.node: the versions
// with require(esm) unflagged (20.19, 22.12) on the lines the suite runs on (20 and 24 in CI) and
// the LTS line between them. Odd lines (21, 23) are short-lived and untested.
export const ENGINES_NODE = '^20.19 || ^22.12 || >=24';

/** true when `version` ("24.1.0" or "v24.1.0") is in ENGINES_NODE. */
export function supportedNode(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  if (major === 20) return minor >= 19;
  if (major === 22) return minor >= 12;
  return major >= 24;
}
