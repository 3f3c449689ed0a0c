# Turns summarize-cunit.awk output into a Markdown table: one row per suite with its
# passed / skipped / failed counts (CUnit's verdict), then the totals.
/^(passed|SKIPPED|FAILED) / {
    name = $2
    suite = name
    sub(/\.[^.]*$/, "", suite)
    if (!(suite in seen)) { seen[suite] = 1; order[++n] = suite }
    count[suite, $1]++
}
/^(TOTAL|STRICT) / { totals[$1] = $0 }
END {
    print "| suite | passed | skipped | failed |"
    print "| --- | ---: | ---: | ---: |"
    for (i = 1; i <= n; i++) {
        s = order[i]
        printf "| %s | %d | %d | %d |\n", s, count[s, "passed"], count[s, "SKIPPED"], count[s, "FAILED"]
    }
    print ""
    print "`" totals["TOTAL"] "` (CUnit's verdict)  "
    print "`" totals["STRICT"] "` (a test that logged [FAILED] counts as failed)"
}
