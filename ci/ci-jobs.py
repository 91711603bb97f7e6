#!/usr/bin/python3
"""ci/ci-jobs.py - run a CI template's job here, the way its runner would.

    ci/ci-jobs.py list TEMPLATE
    ci/ci-jobs.py run TEMPLATE JOB [--workspace DIR] [--set NAME=VALUE]... [--skip REGEX]
                  [--dry-run]

TEMPLATE is ci/github-workflow.yml (GitHub Actions) or ci/gitlab-ci.yml
(GitLab CI: a file whose name has "gitlab" in it). `run` builds a clean
workspace and runs the job's shell lines there, in order, in a minimal
environment (`env -i` with PATH, HOME, LANG, the platform's predefined
variables and the template's own), as the runner would after its checkout:

  GitHub  each step: `run:` in `bash --noprofile --norc -eo pipefail`;
          `uses: actions/checkout` copies this repository's files (what `git
          ls-files` lists, committed or not, as a fresh commit: a clean
          checkout of this tree) to the workspace or its `path:`;
          `uses: actions/upload-artifact` checks that its path has files;
          any other `uses:` is named and left out (it runs on GitHub). A
          failed step skips the rest but `if: always()` steps.
  GitLab  before_script and script in one `bash -e` shell (a failed line
          ends it), after_script in another, always; `extends` merged as
          GitLab merges it; artifacts:paths and reports:junit must match
          files when the job ends.

What the runner itself provides is not emulated: the job's container image
(`image:`, `container:`; here the host, which ci/deps.sh set up), runner
selection (`tags:`, `runs-on:`), and job-level `if:`/`rules:` (the job named
is run). --set overrides a template variable (e.g. HALAB_SCENARIOS, to run
one scenario) or adds one (MAKEFLAGS=-j2). --skip leaves out the steps
(GitHub) or lines (GitLab) that match REGEX, e.g. `apt-get` for the lines
that set up the container image, which this host already is (running them
here would upgrade the host's packages). The workspace (default: a new
folder under /tmp) is left for inspection and its path printed. Exit status:
the job's (0 when every step passed), 2 for bad usage.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
GITHUB_SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def is_gitlab(template):
    return "gitlab" in os.path.basename(template)


def load(template):
    with open(template) as file:
        return yaml.safe_load(file)


# ----------------------------------------------------------- workspace

def copy_repository(target):
    """This repository's files (tracked and new, not ignored) into target,
    committed there, as a fresh checkout of the working tree."""
    os.makedirs(target, exist_ok=True)
    names = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], check=True, capture_output=True).stdout
    present = b"\0".join(n for n in names.split(b"\0")
                         if n and os.path.lexists(os.path.join(ROOT.encode(), n)))
    subprocess.run(["tar", "-C", ROOT, "--null", "-T", "-", "-cf", "-"], input=present,
                   check=True, stdout=open(os.path.join(target, ".copy.tar"), "wb"))
    subprocess.run(["tar", "-C", target, "-xf", os.path.join(target, ".copy.tar")], check=True)
    os.unlink(os.path.join(target, ".copy.tar"))
    git = ["git", "-C", target, "-c", "user.name=ci-jobs", "-c", "user.email=ci-jobs@localhost"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "clean checkout for ci/ci-jobs.py"], check=True)


def base_environment(workspace, extra):
    home = os.path.join(os.path.dirname(workspace), "home")
    os.makedirs(home, exist_ok=True)
    environment = {"PATH": PATH, "HOME": home, "LANG": "C.UTF-8", "CI": "true"}
    environment.update(extra)
    return environment


def run_shell(shell, command, workspace, environment, dry_run):
    """command (lines of shell) with shell (an argv ending in -c)."""
    print("$ " + command.strip().replace("\n", "\n  "), flush=True)
    if dry_run:
        return 0
    return subprocess.run([*shell, command], cwd=workspace, env=environment).returncode


# -------------------------------------------------------------- GitHub

def github_expand(text, context):
    """${{ github.X }} and ${{ env.X }}; anything else is an error."""
    def value(match):
        expression = match.group(1)
        scope, _, name = expression.partition(".")
        if scope in ("github", "env") and name in context[scope]:
            return str(context[scope][name])
        raise SystemExit(f"ci-jobs: cannot evaluate ${{{{ {expression} }}}} here")
    return EXPRESSION.sub(value, str(text))


def github_context(workspace):
    return {"github": {"repository": "local/halab", "run_number": "1", "event_name": "push",
                       "workspace": workspace},
            "env": {}}


def github_step(step, workspace, environment, context, dry_run, skip):
    uses = step.get("uses", "")
    if skip and re.search(skip, step.get("run", "")):
        print(f"left out (--skip): {step['run'].strip()}", flush=True)
        return 0
    with_ = {k: github_expand(v, context) for k, v in (step.get("with") or {}).items()}
    if uses.startswith("actions/checkout@"):
        target = os.path.join(workspace, with_.get("path", ""))
        print(f"checkout {with_.get('repository') or 'this repository'} -> {target}", flush=True)
        if not dry_run and not os.path.exists(os.path.join(target, ".git")):
            copy_repository(target)
        return 0
    if uses.startswith("actions/upload-artifact@"):
        matched = [p for p in glob.glob(os.path.join(workspace, with_.get("path", "")) + "*")]
        files = sum(len(f) for p in matched for _, _, f in os.walk(p))
        print(f"artifact {with_.get('name')}: {with_.get('path')} ({files} files)", flush=True)
        return 0 if files or dry_run else 1
    if uses:
        print(f"left out (runs on GitHub): uses {uses}", flush=True)
        return 0
    return run_shell(GITHUB_SHELL, github_expand(step["run"], context), workspace, environment,
                     dry_run)


def github_run(template, job_name, workspace, overrides, dry_run, skip):
    workflow = load(template)
    job = workflow["jobs"][job_name]
    summary = os.path.join(os.path.dirname(workspace), "step-summary.md")
    context = github_context(workspace)
    for name, value in {**(workflow.get("env") or {}), **(job.get("env") or {})}.items():
        context["env"][name] = github_expand(value, context)
    context["env"].update(overrides)
    environment = base_environment(workspace, {
        **context["env"], "GITHUB_ACTIONS": "true", "GITHUB_RUN_NUMBER": "1",
        "GITHUB_WORKSPACE": workspace, "GITHUB_STEP_SUMMARY": summary,
        "RUNNER_TEMP": os.path.dirname(workspace)})
    failed = 0
    for step in job["steps"]:
        condition = str(step.get("if", ""))
        if failed and "always()" not in condition:
            print(f"skipped after a failure: {step.get('name', step.get('run', ''))}")
            continue
        print(f"--- {step.get('name', step.get('uses', 'run'))}", flush=True)
        status = github_step(step, workspace, environment, context, dry_run, skip)
        if status:
            print(f"--- failed ({status})", flush=True)
            failed = failed or status
    if os.path.exists(summary):
        print(f"job summary: {summary}")
    return failed


# -------------------------------------------------------------- GitLab

def merge(base, override):
    """GitLab's extends: hashes merge key by key, everything else replaces."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def gitlab_job(pipeline, name, depth=0):
    job = pipeline[name]
    if depth > 10:
        raise SystemExit(f"ci-jobs: extends of {name} nest deeper than 10")
    parents = job.get("extends", [])
    merged = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        merged = merge(merged, gitlab_job(pipeline, parent, depth + 1))
    return merge(merged, {k: v for k, v in job.items() if k != "extends"})


def lines(value):
    return [value] if isinstance(value, str) else list(value or [])


def gitlab_artifacts(job, workspace, dry_run):
    artifacts = job.get("artifacts") or {}
    patterns = lines(artifacts.get("paths")) + lines((artifacts.get("reports") or {}).get("junit"))
    missing = [p for p in patterns if not glob.glob(os.path.join(workspace, p))]
    for pattern in patterns:
        print(f"artifact {pattern}: {len(glob.glob(os.path.join(workspace, pattern)))} matches")
    return 1 if missing and not dry_run else 0


def gitlab_run(template, job_name, workspace, overrides, dry_run, skip):
    pipeline = load(template)
    job = gitlab_job(pipeline, job_name)
    variables = {**(pipeline.get("variables") or {}), **(job.get("variables") or {}),
                 **overrides}
    environment = base_environment(workspace, {
        **{k: str(v) for k, v in variables.items()}, "GITLAB_CI": "true",
        "CI_PIPELINE_IID": "1", "CI_PIPELINE_SOURCE": "push", "CI_PROJECT_DIR": workspace})
    print(f"checkout this repository -> {workspace}", flush=True)
    if not dry_run:
        copy_repository(workspace)
    script_lines = lines(job.get("before_script")) + lines(job.get("script"))
    for line in [line for line in script_lines if skip and re.search(skip, line)]:
        print(f"left out (--skip): {line}", flush=True)
    script = "\n".join(line for line in script_lines if not (skip and re.search(skip, line)))
    status = run_shell(["bash", "-e", "-c"], script, workspace, environment, dry_run)
    after = lines(job.get("after_script"))
    if after:
        run_shell(["bash", "-c"], "\n".join(after), workspace, environment, dry_run)
    return status or gitlab_artifacts(job, workspace, dry_run)


# ---------------------------------------------------------------- main

def jobs(template):
    document = load(template)
    if is_gitlab(template):
        return {name: gitlab_job(document, name) for name, job in document.items()
                if isinstance(job, dict) and not name.startswith(".") and "script" in job}
    return document["jobs"]


def main(argv):
    parser = argparse.ArgumentParser(prog="ci-jobs.py", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list")
    listing.add_argument("template")
    running = commands.add_parser("run")
    running.add_argument("template")
    running.add_argument("job")
    running.add_argument("--workspace")
    running.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    running.add_argument("--skip", metavar="REGEX")
    running.add_argument("--dry-run", action="store_true")
    options = parser.parse_args(argv)
    known = jobs(options.template)
    if options.command == "list":
        for name in known:
            print(name)
        return 0
    if options.job not in known:
        parser.error(f"no job {options.job!r} in {options.template} (jobs: {', '.join(known)})")
    overrides = dict(item.split("=", 1) for item in options.set if "=" in item)
    base = options.workspace or tempfile.mkdtemp(prefix="halab-ci-jobs-")
    workspace = os.path.join(os.path.abspath(base), "workspace")
    os.makedirs(workspace, exist_ok=True)
    run = gitlab_run if is_gitlab(options.template) else github_run
    status = run(os.path.abspath(options.template), options.job, workspace, overrides,
                 options.dry_run, options.skip)
    print(f"ci-jobs: job {options.job} {'passed' if status == 0 else f'failed ({status})'}"
          f"; workspace {workspace}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
