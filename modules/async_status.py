"""async_status — report on (or clean up) an async job started with `async:`.

Reads the job file `<async dir>/<jid>` that the job keeps up to date, exactly as
Ansible's async_status does, so the same `until: result is finished` loops work:

* running job             → `started: true, finished: false`
* finished job            → the job's own result (rc, stdout, changed, failed...) plus
                            `finished: true`; a job that failed makes this task fail
* job killed at its limit → `msg: "Timeout exceeded"`, failed
* no such job             → fails with "could not find job" (and `finished: true`)
* a file that cannot be parsed yet counts as running

Arguments:
  jid    the job id (`ansible_job_id` of the registered async task) — required
  mode   `status` (default) or `cleanup` (remove the job file; the job is not stopped)

The async directory comes from the controller (`ansible_async_dir`, `ANSIBLE_ASYNC_DIR`,
default `~/.ansible_async`, with `~` being the target user's home).

Example:
  - name: Wait for the backup started earlier
    async_status:
      jid: "{{ backup.ansible_job_id }}"
    register: job
    until: job is finished
    retries: 60
    delay: 5
"""
from __future__ import annotations

import os
from typing import Any

from miniplay.modules._common import ModuleContext

ARGUMENT_SPEC = {
    "jid": {"type": "str", "required": True},
    "mode": {"type": "str", "default": "status", "choices": ["status", "cleanup"]},
}
SUPPORTS_CHECK_MODE = True


def _base(jid: str, path: str, mode: str) -> dict[str, Any]:
    """The defaults Ansible's async_status action starts from, before the job's data."""
    result: dict[str, Any] = {"started": False, "finished": False, "stdout": "", "stderr": "",
                              "stdout_lines": [], "stderr_lines": [], "ansible_job_id": jid}
    if mode == "cleanup":
        result["erased"] = path
    else:
        result.update(results_file=path, started=True)
    return result


def _own_invocation(jid: str, mode: str, directory: str) -> dict[str, Any]:
    return {"module_args": {"jid": jid, "mode": mode, "_async_dir": directory}}


def job_status(directory: str, jid: str, mode: str = "status") -> dict[str, Any]:
    """The whole async_status result for one job (never raises for a missing job)."""
    from miniplay.modules._jobs import META, read_job_file

    path = os.path.join(directory, jid)
    result = _base(jid, path, mode)
    invocation = _own_invocation(jid, mode, directory)
    if not os.path.exists(path):
        result.update(failed=True, msg="could not find job", ansible_job_id=jid, started=True, finished=True,
                      invocation=invocation)
        return result
    if mode == "cleanup":
        os.unlink(path)
        result.update(ansible_job_id=jid, erased=path, invocation=invocation)
        return result
    data, _exists = read_job_file(path)
    if not data:
        # Not written yet, being replaced, or not JSON: Ansible reports all of these as running.
        result.update(results_file=path, ansible_job_id=jid, started=True, finished=False, invocation=invocation)
        return result
    data = {k: v for k, v in data.items() if k != META}
    if "started" not in data:
        data["finished"] = True
        data["ansible_job_id"] = jid
    elif "finished" not in data:
        data["finished"] = False
    for stream in ("stdout", "stderr"):
        if isinstance(data.get(stream), str) and f"{stream}_lines" not in data:
            data[f"{stream}_lines"] = data[stream].splitlines()
    if data.get("skipped") and "failed" not in data:
        data["failed"] = False  # Ansible's executor adds it to every module result, skipped ones too
    result.update(data)
    result["started"] = bool(result["started"])
    result["finished"] = bool(result["finished"])
    return result


def main(args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
    from miniplay.modules._jobs import async_dir

    return job_status(async_dir(ctx.async_dir), args["jid"], args["mode"])
