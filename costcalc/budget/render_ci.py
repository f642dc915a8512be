"""A check's results for CI: GitHub Actions annotations (and the Markdown summary appended
to ``$GITHUB_STEP_SUMMARY``) and JUnit XML."""

from __future__ import annotations

import contextlib
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

from costcalc.budget.render import describe, limit_name, render_markdown, summary
from costcalc.budget.results import CheckResult
from costcalc.errors import OutputError


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(check: CheckResult) -> str:
    """GitHub Actions workflow commands: ::error for each exceeded limit, ::notice for the
    others, pointing at the budget file's line when known."""
    budget = check.budget
    with contextlib.suppress(ValueError):  # a path GitHub resolves from the workspace
        budget = budget.resolve().relative_to(Path.cwd().resolve())
    lines = []
    for result in check.results:
        level = "notice" if result.passed else "error"
        props = {"title": f"costcalc {result.section.replace('_', ' ')}", "file": str(budget)}
        if result.line:
            props["line"] = str(result.line)
        joined = ",".join(f"{k}={_escape_property(v)}" for k, v in props.items())
        lines.append(f"::{level} {joined}::{_escape_data(describe(result))}")
    for warning in check.warnings:
        lines.append(f"::warning title=costcalc check::{_escape_data(warning)}")
    lines.append(summary(check))
    return "\n".join(lines) + "\n"


def append_step_summary(check: CheckResult) -> Path | None:
    """Append the Markdown summary to ``$GITHUB_STEP_SUMMARY`` if it is set."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(render_markdown(check) + "\n")
    except OSError as exc:
        raise OutputError(f"GITHUB_STEP_SUMMARY {target}: cannot append ({exc})") from exc
    return Path(target)


def render_junit(check: CheckResult) -> str:
    """One testsuite, one testcase per limit, a <failure> for each exceeded one."""
    suites = ET.Element("testsuites", name="costcalc check")
    suite = ET.SubElement(
        suites, "testsuite", name=f"costcalc check: {check.model}",
        tests=str(len(check.results)), failures=str(len(check.failures)), errors="0",
        skipped="0", time="0",
    )  # fmt: skip
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="budget", value=str(check.budget))
    if check.baseline:
        ET.SubElement(properties, "property", name="baseline", value=str(check.baseline))
    for result in check.results:
        case = ET.SubElement(
            suite, "testcase", classname=f"costcalc.{result.section}", name=limit_name(result),
            time="0",
        )  # fmt: skip
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=describe(result), type="budget")
            failure.text = json.dumps(result.to_dict(), indent=2)
        else:
            ET.SubElement(case, "system-out").text = describe(result)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"
