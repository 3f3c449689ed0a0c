# Summarizes iscsi-test-cu (CUnit, verbose mode) output: one line per distinct test with its
# outcome, then totals. A test that printed [SKIPPED] counts as skipped even though CUnit
# also prints "passed" for it.
function finish() {
    if (name == "") return
    outcome = failed ? "FAILED" : (skipped ? "SKIPPED" : "passed")
    if (!(name in seen)) { order[++count] = name }
    # A test listed twice keeps its worst outcome.
    if (!(name in seen) || outcome == "FAILED" || (outcome == "SKIPPED" && seen[name] == "passed")) seen[name] = outcome
    name = ""
}
/^Suite: / { finish(); suite = $2; next }
/^  Test: / {
    finish()
    line = $0
    sub(/^  Test: /, "", line)
    sub(/ \.\.\..*$/, "", line)
    name = suite "." line
    failed = 0; skipped = 0
}
/\[SKIPPED\]/ { skipped = 1 }
/FAILED/ { if (name != "") failed = 1 }
/^Run Summary/ { finish() }
END {
    finish()
    for (i = 1; i <= count; i++) {
        printf "%-8s %s\n", seen[order[i]], order[i]
        totals[seen[order[i]]]++
    }
    printf "TOTAL distinct=%d passed=%d skipped=%d failed=%d\n", count, totals["passed"] + 0, totals["SKIPPED"] + 0, totals["FAILED"] + 0
}
