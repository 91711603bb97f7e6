#!/usr/bin/python3
"""ci/junit-summary.py - JUnit files as a Markdown summary, for CI pages.

    python3 halab/ci/junit-summary.py reports/halab/*/junit.xml >> "$GITHUB_STEP_SUMMARY"

One table row per test suite (hasim writes one per scenario: its run
folder's junit.xml; pytest one for the whole run), then each failure, error
and skip with its message and text (which ends with the line that
reproduces it). GitHub Actions shows this on the run's page without a
third-party action or extra permissions; any CI can print it in its log.
Python's standard library only. Exit status 0 when the files were read
(whatever they report), 2 when one cannot be.
"""
import sys
import xml.etree.ElementTree as ElementTree

TEXT_MAX = 2000  # characters of one failure's text shown


def suites(path):
    root = ElementTree.parse(path).getroot()
    return [root] if root.tag == "testsuite" else root.findall("testsuite")


def count(suite, name):
    try:
        return int(suite.get(name, "0"))
    except ValueError:
        return 0


def outcome(suite):
    if count(suite, "errors"):
        return "error"
    if count(suite, "failures"):
        return "failed"
    if count(suite, "skipped"):
        return "passed, some skipped"
    return "passed"


def problems(suite):
    for case in suite.findall("testcase"):
        for kind in ("error", "failure", "skipped"):
            element = case.find(kind)
            if element is not None:
                yield kind, case.get("name", ""), element.get("message", ""), \
                    (element.text or "").strip()


def cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def summary(paths):
    rows, details, totals = [], [], {"suites": 0, "failed": 0}
    for path in paths:
        for suite in suites(path):
            totals["suites"] += 1
            state = outcome(suite)
            totals["failed"] += state in ("error", "failed")
            rows.append(f"| {cell(suite.get('name', path))} | {state} | {count(suite, 'tests')} "
                        f"| {count(suite, 'failures')} | {count(suite, 'errors')} "
                        f"| {count(suite, 'skipped')} | {suite.get('time', '?')} s |")
            for kind, name, message, text in problems(suite):
                body = text[:TEXT_MAX] or message
                details.append(f"**{cell(suite.get('name', ''))}** {kind}: `{cell(name)}`\n\n"
                               f"```\n{body}\n```\n")
    passed = totals["suites"] - totals["failed"]
    lines = [f"## halab: {passed} passed, {totals['failed']} failed "
             f"({totals['suites']} suites)", "",
             "| suite | result | tests | failures | errors | skipped | time |",
             "|---|---|---|---|---|---|---|", *rows, ""]
    if details:
        lines += ["### Failures, errors and skips", "", *details]
    return "\n".join(lines) + "\n"


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    try:
        sys.stdout.write(summary(argv))
    except (OSError, ElementTree.ParseError) as error:
        print(f"junit-summary: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
