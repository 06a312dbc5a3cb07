// Serious/critical axe violations that are known app bugs, reported to the
// todo-web owner and not yet fixed. Each entry matches one rule on one element
// on one page; everything else serious or critical fails the run. When a fix
// lands, the run prints "no longer seen" for the entry: delete it then, so the
// bug cannot come back unnoticed. Keep this list empty whenever possible.
export const KNOWN_AXE_ISSUES = [];

export function knownIssue(page, variant, violation, target) {
  return KNOWN_AXE_ISSUES.find((k) => k.page.test(page) && (!k.variant || k.variant === variant)
    && k.rule === violation.id && k.target === target);
}
