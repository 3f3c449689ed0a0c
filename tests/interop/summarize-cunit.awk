# Summarizes iscsi-test-cu (CUnit, verbose mode) output: one line per distinct test with its
# outcome, then totals.
#
# CUnit's own verdict for a test is the word "passed" or "FAILED" that ends its output (either
# right after "Test: NAME ..." or on a line of its own). libiscsi's logging also prints
# "[FAILED] ..." for expected failures inside tests that pass, so only CUnit's token counts.
# A test that printed "[SKIPPED]" before its verdict counts as skipped even though CUnit says
# "passed"; "[SKIPPED]" printed after the verdict comes from suite cleanup and is ignored.
# The STRICT totals also count as failed any test that logged "[FAILED]" (the way the project's
# tgt baseline of 158 passed / 59 skipped / 13 failed was counted).
function finish() {
    if (name == "") return
    outcome = failed ? "FAILED" : (skipped ? "SKIPPED" : (done ? "passed" : "FAILED"))
    strict = (failed || logged_failure) ? "FAILED" : outcome
    if (!(name in strict_seen) || strict == "FAILED" || (strict == "SKIPPED" && strict_seen[name] == "passed")) strict_seen[name] = strict
    if (!(name in seen)) { order[++count] = name }
    # A test listed twice keeps its worst outcome.
    if (!(name in seen) || outcome == "FAILED" || (outcome == "SKIPPED" && seen[name] == "passed")) seen[name] = outcome
    name = ""
}
function verdict(text) {
    if (done) return
    if (text ~ /^passed/) { done = 1 }
    else if (text ~ /^FAILED/) { done = 1; failed = 1 }
}
/^Suite: / { finish(); suite = $2; next }
/^  Test: / {
    finish()
    line = $0
    sub(/^  Test: /, "", line)
    rest = line
    sub(/ \.\.\..*$/, "", line)
    name = suite "." line
    failed = 0; skipped = 0; done = 0; logged_failure = 0
    sub(/^[^.]*\.\.\./, "", rest)
    if (rest ~ /\[SKIPPED\]/) skipped = 1
    if (rest ~ /\[FAILED\]/) logged_failure = 1
    verdict(rest)
    next
}
name != "" {
    if (!done && /\[SKIPPED\]/) skipped = 1
    if (!done && /\[FAILED\]/) logged_failure = 1
    verdict($0)
}
/^Run Summary/ { finish() }
END {
    finish()
    for (i = 1; i <= count; i++) {
        note = (strict_seen[order[i]] != seen[order[i]]) ? "  (logged [FAILED]; counts as failed in STRICT)" : ""
        printf "%-8s %s%s\n", seen[order[i]], order[i], note
        totals[seen[order[i]]]++
        strict_totals[strict_seen[order[i]]]++
    }
    printf "STRICT distinct=%d passed=%d skipped=%d failed=%d\n", count, strict_totals["passed"] + 0, strict_totals["SKIPPED"] + 0, strict_totals["FAILED"] + 0
    printf "TOTAL distinct=%d passed=%d skipped=%d failed=%d\n", count, totals["passed"] + 0, totals["SKIPPED"] + 0, totals["FAILED"] + 0
}
