"""Run one task on one host: when, loop, retries/until, the action, register.

The order of steps per run follows Ansible (see ANSIBLE-SEMANTICS §5–7):
`when` before anything is templated; args templated per item; the result gets
`failed` from rc and `changed` defaulted; `changed_when`, then `failed_when`,
then `until` see the just-registered value; a skipped task still overwrites its
registered variable. Everything that goes wrong on the host comes back as a
result dict, never as an exception.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..core.argsplit import parse_kv
from ..core.errors import ConnectionFailed, MiniplayError, TemplateError, UndefinedVariableError, source_excerpt
from ..core.events import Conditional, HostResult, HostStart, ItemResult, Retry, TaskVars, WarningEvent
from ..core.fdlimit import out_of_descriptors_message
from ..core.fieldtypes import as_flag
from ..core.registry import (
    LOAD_TIME_ACTIONS,
    RAW_PARAMS_MODULES,
    TEMPLATED_ACTION,
    TEMPLATED_ACTION_ARGS,
    canonical_name,
    controller_actions,
    supports_async,
    target_modules,
)
from ..core.results import (
    Outcome,
    add_lines,
    error_result,
    keyword_failure,
    loop_total,
    normalize,
    registered,
    skip_result,
)
from ..templating.plugin_errors import PluginFailed, user_message
from ..templating.templar import has_embedded_template, is_template, remove_omitted
from ..transport.worker import WorkerError
from .actions import ActionContext, ActionServices, get_action
from .censor import CENSORED_LABEL, HIDDEN_NOTE, Censor, censor_for
from .failures import module_failure
from .keyword_types import keyword_type_failure
from .loops import LoopSettings, NotAList, item_label, item_status, loop_items, loop_where
from .var_sources import VariableSources

if TYPE_CHECKING:
    from ..core.model import Task
    from ..loading.playbook import Loader
    from ..vars.layers import VarsView
    from ..vars.manager import VariableManager
    from .action_bridge import ActionPluginBridge
    from .jobs import JobManager
    from .playstate import PlayState

class ExecutorServices(ActionServices, Protocol):
    """The parts of the run the executor uses: what actions use, plus variables and async jobs."""

    vars: VariableManager
    jobs: JobManager
    loader: Loader

    @property
    def action_plugins(self) -> ActionPluginBridge:
        """The user's Ansible action plugins (made on first use)."""


class TaskExecutor:
    """Executes tasks for one play; shared by the fork threads (it holds no per-host state)."""

    def __init__(self, run: ExecutorServices, play: PlayState) -> None:
        self.run = run
        self.play = play
        self._var_sources = VariableSources()   # for the task_vars event
        # called with each outcome before its result is shown (the strategy queues handlers here,
        # so -vv's "Notification ... saved" comes before the result line, as in Ansible)
        self.before_result: Callable[[Outcome], None] | None = None

    # ------------------------------------------------------------------ entry point
    def execute(self, host: str, task: Task, params: dict[str, Any] | None = None,
                view: VarsView | None = None) -> Outcome:
        """Run the task on the host; a bug in miniplay fails this host's task, never the whole run.
        `view`: the host's variables for the task when the caller has just built them (the
        strategy builds the first host's for the banner), so they are not built twice."""
        try:
            return self._execute(host, task, params, view)
        except MiniplayError:
            raise
        except Exception as exc:
            import traceback

            result = error_result(out_of_descriptors_message(exc) or
                                  f"Unexpected failure in miniplay (a bug): {type(exc).__name__}: {exc}",
                                  exception=traceback.format_exc())
            shown, notes = Censor(hide=task.get("no_log") not in (None, False)).shown(result)  # unknown: hide
            self.run.bus.emit(HostResult(host=host, task=task, result=shown, notes=notes,
                                         status="failed", ignored=False,
                              loop=False, delegated_to=None, target_module=False))
            return Outcome(host=host, task=task, result=result)

    def _execute(self, host: str, task: Task, params: dict[str, Any] | None = None,
                 view: VarsView | None = None) -> Outcome:
        if view is None:
            view = self.run.vars.view(host, self.play, task, params)
        view = self._with_delegate_address(task, view)
        if self.run.bus.wants(HostStart.kind):  # the console shows nothing for it; a log or live view may
            self.run.bus.emit(HostStart(host=host, task=task))
        self._emit_var_sources(host, task, view)
        no_log = self.flag(task, "no_log", view)
        result = keyword_type_failure(task, lambda value: self.run.templar.template(value, view), view.get)
        if result is None:
            result = self._run_task(host, task, view, no_log)
        ignored = False
        if result.get("failed") and not result.get("unreachable") and not result.get("_miniplay_unignorable"):
            ignored = self.flag(task, "ignore_errors", view)
        if result.get("unreachable"):
            ignored = self.flag(task, "ignore_unreachable", view)
        if task.register:
            value = registered(result)
            if value.get("failed") and not value.get("results"):
                value.setdefault("exception", "(traceback unavailable)")
            self.run.host_state(host).registered[task.register] = value
            if self.flag(task, "run_once", view):
                for other in self.play.active_hosts():
                    self.run.host_state(other).registered[task.register] = value
        outcome = Outcome(host=host, task=task, result=result, ignored=ignored,
                          delegated_to=self._delegate(task, view))
        if task.module in ("include_tasks", "include_role"):
            outcome.includes, outcome.included = _take_includes(task, result)
        if self.before_result is not None:
            self.before_result(outcome)
        shown, notes = self._censor(task, view, no_log).shown(result)
        if "diff" in shown and not (self.run.options.diff or self._diff_on(task, view)):
            shown = {k: v for k, v in shown.items() if k != "diff"}  # registered, but shown only in diff mode
        self.run.bus.emit(HostResult(host=host, task=task, result=shown, notes=notes,
                                     status=outcome.status,
                          ignored=ignored, loop=task.get("loop") is not None, delegated_to=outcome.delegated_to,
                          target_module=self._is_target_module(task, result)
                          and not result.get("_miniplay_action_failure")))
        return outcome

    def _run_task(self, host: str, task: Task, view: VarsView, no_log: bool) -> dict[str, Any]:
        """The task's result: its loop (each item with its retries), or the action with its retries."""
        if task.get("loop") is None:
            return self._run_with_retries(host, task, view)
        try:
            items = loop_items(self.run.templar, task, view)
        except NotAList as exc:
            return {**error_result(exc.message), "_miniplay_error_at": loop_where(task),
                    "_miniplay_help": "Provide a list of items/templates, or a template resolving to a list."}
        except PluginFailed as exc:
            return {**error_result(exc.full_message), "_miniplay_error_at": loop_where(task)}
        except TemplateError as exc:
            return self._skip_or_loop_failure(host, task, view, exc)
        return self._run_loop(host, task, view, items, no_log)

    # ------------------------------------------------------------------ loops
    def _skip_or_loop_failure(self, host: str, task: Task, view: VarsView, exc: TemplateError) -> dict[str, Any]:
        """A loop that cannot be evaluated. As in Ansible, an undefined loop is an error only if
        the task's `when` holds without the loop variable (`when: false` skips it)."""
        if isinstance(exc, UndefinedVariableError):
            try:
                holds, false_condition = self._conditions(host, task, "when", task.when, view)
            except TemplateError:
                holds, false_condition = True, None
            if not holds:
                return skip_result(false_condition)
        return keyword_failure(exc.message, loop_where(task))

    def _run_loop(self, host: str, task: Task, view: VarsView, items: list[Any], no_log: bool) -> dict[str, Any]:
        control = task.get("loop_control") or {}
        templar = self.run.templar
        settings = LoopSettings.of(control, templar, view)
        if settings.loop_var in view and (in_use := view.find(settings.loop_var)) and in_use.label != "magic":
            self.run.bus.emit(WarningEvent(host=host, task=task,
                              text=f"The loop variable '{settings.loop_var}' is already in use. You should set the "
                                   "`loop_var` value in the `loop_control` option for the task to something else "
                                   "to avoid variable collisions and unexpected behavior."))
        results: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            if index and settings.pause:
                time.sleep(settings.pause)
            loop_vars = settings.item_vars(items, index)
            item_view = view.child(loop_vars)
            result = self._run_with_retries(host, task, item_view)
            result.update(loop_vars)
            if result.get("failed"):
                result.setdefault("exception", "(traceback unavailable)")
            censor = self._censor(task, item_view, no_log or self.flag(task, "no_log", item_view), item)
            if censor.hide:
                result[HIDDEN_NOTE] = True   # no_log may hold for some items only (it is templated per item)
            label = censor.label(item_label(control, item, templar, item_view))
            if ("label" in control or censor.hide) and "_miniplay_include" in result:
                result["_miniplay_include"]["label"] = label  # names the `included:` line, as in Ansible
            results.append(result)
            shown, notes = censor.shown(result)
            if "diff" in shown and not self._diff_on(task, item_view):
                shown = {k: v for k, v in shown.items() if k != "diff"}
            self.run.bus.emit(ItemResult(host=host, task=task, result=shown, notes=notes,
                                         status=item_status(result),
                              label=label, index=index, delegated_to=self._delegate(task, item_view),
                              target_module=self._is_target_module(task, result)
                              and not result.get("_miniplay_action_failure")))
            if control.get("break_when") and self._loop_breaks(task, control, result, item_view, results):
                break
        return loop_total(results)

    def _loop_breaks(self, task: Task, control: dict[str, Any], result: dict[str, Any], item_view: VarsView,
                     results: list[dict[str, Any]]) -> bool:
        """Whether `loop_control.break_when` holds after this item (an error in it fails the item)."""
        stop_view = item_view.child({task.register: registered(result)}) if task.register else item_view
        try:
            stop, _ = self.run.templar.all_true(control["break_when"], stop_view)
        except TemplateError as exc:
            results[-1] = {**result, **error_result(exc.message)}
            return True
        return bool(stop)

    # ------------------------------------------------------------------ one run (with retries)
    def _run_with_retries(self, host: str, task: Task, view: VarsView) -> dict[str, Any]:
        templar = self.run.templar
        try:
            holds, false_condition = self._conditions(host, task, "when", task.when, view)
        except TemplateError as exc:
            return keyword_failure(exc.message, task.value_where("when"))
        if not holds:
            return skip_result(false_condition)
        until = task.get("until") or []
        try:
            retries_value = templar.template(task.get("retries"), view)
            delay = float(templar.template(task.get("delay", 5), view))
        except (TemplateError, TypeError, ValueError) as exc:
            return error_result(f"Invalid retries/delay value: {exc}")
        retrying = bool(until) or retries_value is not None
        retries = int(retries_value) if retries_value is not None else (3 if until else 0)
        if retries <= 0:
            retrying = False
        delay = 1.0 if delay < 0 else delay
        runs = retries + 1 if retrying else 1
        result: dict[str, Any] = {}
        for attempt in range(1, runs + 1):
            result = normalize(self._run_action(host, task, view))
            if result.get("unreachable"):
                return result
            if retrying:
                result["attempts"] = attempt
            reg_view = view.child({task.register: registered(result)}) if task.register else view
            if not self._changed_failed_when(task, result, reg_view):
                return result
            if not retrying:
                break
            if task.register:  # until sees the result after changed_when/failed_when, as in Ansible
                reg_view = view.child({task.register: registered(result)})
            try:
                done = self._conditions(host, task, "until", until, reg_view, attempt)[0] if until \
                    else not result.get("failed")
            except TemplateError as exc:
                return keyword_failure(exc.message, task.value_where("until"))
            if done:
                break
            if attempt < runs:  # Ansible's retry result also says how many runs there may be
                shown, notes = self._censor(task, view, self.flag(task, "no_log", view)).shown({**result, "retries": runs})
                self.run.bus.emit(Retry(host=host, task=task, name=self.play.task_name(task, view),
                                  retries_left=runs - attempt, result=shown, attempt=attempt, delay=delay, notes=notes))
                self.run.jobs.pause_before_retry(task.module, result, delay)
            else:
                # out of attempts: the result says failed; the task's status still follows a
                # failed_when_result when there is one (core.results.is_failed), as in Ansible
                result["failed"] = True
                result["attempts"] = retries
        return result

    def _changed_failed_when(self, task: Task, result: dict[str, Any], view: VarsView) -> bool:
        """Apply changed_when, then failed_when. If one cannot be evaluated, the task fails
        keeping the module's result, with the error as `<keyword>_result` (Ansible's shape);
        returns False then."""
        if result.get("skipped"):
            return True
        for keyword in ("changed_when", "failed_when"):
            if not task.get(keyword):  # absent or an empty list: no condition, as in Ansible
                continue
            try:
                value = self._conditions(None, task, keyword, task.get(keyword), view)[0]
            except TemplateError as exc:
                result.update({f"{keyword}_result": exc.message, "failed": True, "_miniplay_action_failure": True})
                return False
            if keyword == "changed_when":
                result["changed"] = value
                continue
            if result.get("failed") and not value:
                result["failed_when_suppressed_exception"] = "(traceback unavailable)"
            result["failed_when_result"] = value
            result["failed"] = value
        return True

    def _warn_embedded_template(self, host: str | None, task: Task, keyword: str) -> None:
        """`when: "'{{ x }}' == 'y'"` still works (rendered first), with Ansible 2.19's warning."""
        where = task.value_where(keyword)
        excerpt = "\n".join(source_excerpt(where.path, where.line, where.column))
        self.run.bus.emit(WarningEvent(host=host, task=task, text=(
            "Jinja constant strings should not contain embedded templates. miniplay renders them first, as "
            f"ansible-core 2.19 does, but the form is on its way out.\nOrigin: {where}"
            + (f"\n\n{excerpt}" if excerpt else "")
            + f"\n\nWrite the expression inline: `{keyword}: \"'{{{{ env }}}}' == 'prod'\"` becomes "
              f"`{keyword}: env == 'prod'`\n")))

    def _conditions(self, host: str | None, task: Task, keyword: str, clauses: list[Any], view: VarsView,
                    attempt: int | None = None) -> tuple[bool, Any]:
        """`templar.all_true`, plus a `conditional` event with each clause and its value (for explain).

        Like Ansible, the first false clause decides; the clauses after it are evaluated
        only for the event (errors there are recorded, never raised).
        """
        if not clauses:
            return True, None
        templar = self.run.templar
        shown: list[dict[str, Any]] = []
        holds, first_false, error = True, None, None
        for clause in clauses:
            entry: dict[str, Any] = {"expr": str(clause)}
            if has_embedded_template(clause):
                self._warn_embedded_template(host or view.get("inventory_hostname"), task, keyword)
            try:
                entry["value"] = templar.conditional(clause, view)
            except TemplateError as exc:
                entry["error"] = exc.message
                if holds and error is None:
                    error = exc
            if not holds:
                entry["reached"] = False
            elif entry.get("value") is False:
                holds, first_false = False, clause
            shown.append(entry)
            if error is not None:
                break
        extra: dict[str, Any] = {"attempt": attempt} if attempt is not None else {}
        loop = next((la.values for la in view.layers[:3] if la.label == "loop" and "ansible_loop_var" in la.values),
                    None)
        if self.flag(task, "no_log", view):
            for entry in shown:   # an error may quote the values it saw
                entry.update({"error": CENSORED_LABEL} if "error" in entry else {})
        elif loop is not None:
            extra["item"] = loop.get(loop["ansible_loop_var"])
        self.run.bus.emit(Conditional(host=host or view.get("inventory_hostname"), task=task, keyword=keyword,
                          clauses=shown, result=holds and error is None, **extra))
        if error is not None:
            raise error
        return holds, first_false

    def _emit_var_sources(self, host: str, task: Task, view: VarsView) -> None:
        """A `task_vars` event: each variable the task's templates read and the layer it comes from
        (worked out only when a subscriber reads such events: the console does not)."""
        if not self.run.bus.wants(TaskVars.kind):
            return
        sources = self._var_sources.of(task, view)
        if sources:
            self.run.bus.emit(TaskVars(host=host, task=task, vars=sources))

    # ------------------------------------------------------------------ the action itself
    def _run_action(self, host: str, task: Task, view: VarsView) -> dict[str, Any]:
        if task.module == TEMPLATED_ACTION:
            resolved = self._resolve_templated_action(task, view)
            if isinstance(resolved, dict):
                return resolved
            return {**self._run_action(host, resolved, view), "_miniplay_module": resolved.module}
        try:
            args = remove_omitted(self._template_args(task, view))
            defaults = self._module_defaults(task, view)
            if defaults:
                args = {**defaults, **args}
        except TemplateError as exc:  # shown with `changed`, as Ansible does
            return {"changed": False, "failed": True,
                    "msg": f"Task failed: Finalization of task args for 'ansible.builtin.{task.module}' failed: "
                           f"{exc.message}"}
        settings = self._keyword_settings(task, view)
        if "failed" in settings:
            return settings
        environment, check_mode, diff = settings["environment"], settings["check_mode"], settings["diff"]
        async_seconds, poll = settings["async"], settings["poll"]
        ctx = ActionContext(executor=self, services=self.run, host=host, task=task, args=args, vars=view, check_mode=check_mode,
                            diff=diff, environment=environment)
        plugin = self.run.foreign.actions.get(task.module)
        if plugin is not None:  # an action plugin written for Ansible, run by the user's ansible-core
            return self.run.action_plugins.run(ctx, plugin, async_seconds, poll)
        if async_seconds > 0 and not supports_async(task.module):
            return {**error_result(f"This action ({task.module}) does not support async."),
                    "_miniplay_task_error": True}
        try:
            if async_seconds > 0:
                return self.run.jobs.run_async_task(ctx, task.module, args, async_seconds, poll)
            if task.module in controller_actions():
                return get_action(task.module)(ctx)
            return self.call_module(ctx, task.module, args)
        except ConnectionFailed as exc:
            return {"unreachable": True, "changed": False, "msg": exc.message}
        except TemplateError as exc:
            return error_result(exc.message)

    def _resolve_templated_action(self, task: Task, view: VarsView) -> Task | dict[str, Any]:
        """`action: "{{ pkg_mgr }} name=x"`: the module this host runs, named by its variables, as
        Ansible resolves it when the task runs; a name that is no module fails the task."""
        try:
            written = str(self.run.templar.template(task.action, view)).strip()
        except TemplateError as exc:
            return error_result(f"Task failed: {exc.message}")
        module = canonical_name(written)
        if module is None or module in LOAD_TIME_ACTIONS:
            return {**error_result(f"couldn't resolve module/action '{written}'. This often indicates a "
                                   "misspelling, missing collection, or incorrect module path."),
                    "_miniplay_task_error": True}
        args = dict(task.args)
        text = str(args.pop(TEMPLATED_ACTION_ARGS, "") or "")
        parsed = parse_kv(text, module in RAW_PARAMS_MODULES and module != "set_fact", task.location) if text else {}
        return dataclasses.replace(task, module=module, args={**args, **parsed})

    def _keyword_settings(self, task: Task, view: VarsView) -> dict[str, Any]:
        """The keywords that shape how the action runs, templated; a keyword that cannot be
        evaluated gives the task's failure result instead (it has `failed`)."""
        templar = self.run.templar
        poll = task.get("poll")
        evaluators = {
            "environment": lambda: self._environment(task, view),
            "check_mode": lambda: self._check_mode(task, view),
            "diff": lambda: bool(templar.template(task.get("diff", self.run.options.diff), view)),
            "async": lambda: int(templar.template(task.get("async", 0), view) or 0),
            "poll": lambda: int(templar.template(poll, view)) if poll is not None else self.run.options.poll_interval,
        }
        settings: dict[str, Any] = {}
        for keyword, evaluate in evaluators.items():
            try:
                settings[keyword] = evaluate()
            except TemplateError as exc:
                name = "async_val" if keyword == "async" else keyword  # Ansible's attribute name
                return keyword_failure(f"Error processing keyword '{name}': {exc.message}", task.value_where(keyword))
            except (TypeError, ValueError) as exc:
                return error_result(f"Task failed: {exc}")
        return settings

    def _is_target_module(self, task: Task, result: dict[str, Any]) -> bool:
        """Whether a failure came from a module on the target ("Module failed") or an action ("Action failed")."""
        module = result.get("_miniplay_module") or task.module
        forwards = module in FORWARDING_ACTIONS  # the action only passes its module's result on
        from_module = module in target_modules() and (forwards or module not in controller_actions()) \
            or self.run.loader.foreign.get(module) is not None \
            or bool(result.get("_miniplay_module_failed"))  # an action that handed the work to its module
        return from_module and not result.get("_miniplay_early_failure")

    def _template_args(self, task: Task, view: VarsView) -> dict[str, Any]:
        """Render each argument (its name too: `set_fact: {"v_{{ i }}": x}`), naming the one that
        failed as Ansible does."""
        rendered: dict[str, Any] = {}
        for key, value in task.args.items():
            try:
                rendered[self.run.templar.template(key, view) if is_template(key) else key] = \
                    self.run.templar.template(value, view)
            except TemplateError as exc:
                raise TemplateError(f"Error while resolving value for '{key}': {user_message(exc)}") from None
        return rendered

    def call_module(self, ctx: ActionContext, name: str, args: dict[str, Any], **options: Any) -> dict[str, Any]:
        """Send one module run to the host's worker; turn worker trouble into results."""
        foreign = self.run.loader.foreign.get(name)
        if foreign is not None and foreign.key == "ansible.builtin.dnf" and not options.pop("backend_chosen", False):
            from .dnf_backend import run_dnf  # Ansible's dnf action picks dnf or dnf5 first

            return run_dnf(ctx, args, {**options, "backend_chosen": True})
        options.pop("backend_chosen", None)
        # the name Ansible's messages use: an action plugin runs its module as ansible.legacy.X,
        # anything else is named as the task wrote it (file, ansible.builtin.file)
        label = f"ansible.legacy.{name}" if name in ACTION_BACKED_MODULES else \
            ctx.task.action if ctx.task.module == name else name
        request = {"op": options.pop("op", "run"), "module": name, "args": args, "check": ctx.check_mode,
                   "diff": ctx.diff, "env": ctx.environment, "label": label,
                   "no_log": self.flag(ctx.task, "no_log", ctx.vars), **options}
        try:
            worker = self.run.connections.worker(ctx.host, ctx.vars, ctx.task)
            timeout = self.run.templar.template(ctx.task.get("timeout"), ctx.vars) if ctx.task.get("timeout") \
                else None
            if foreign is not None:  # a module written for Ansible (library/, collection, ansible-core)
                result = self.run.loader.foreign.call(worker, request, foreign, ctx.task.action,
                                                      self.run.options.verbosity, int(timeout) if timeout else None)
            else:  # the target kills a native module at the task's `timeout:` too
                result = worker.call({**request, "timeout": int(timeout)} if timeout else request)
        except WorkerError as exc:
            return module_failure(exc)
        if "failed" not in result:  # a module's own result always says (even a skip in check mode)
            result["failed"] = bool(result.get("rc") not in (0, None) and "rc" in result)
        return add_lines(result)

    # ------------------------------------------------------------------ keyword helpers
    def _diff_on(self, task: Task, view: VarsView) -> bool:
        """Is diff mode on for this task? Ansible shows a module's `diff` only then (it is registered either
        way); for a task's own result --diff on the command line wins over `diff: false`, as in Ansible."""
        try:
            return bool(self.run.templar.template(task.get("diff", self.run.options.diff), view))
        except TemplateError:
            return False

    def _censor(self, task: Task, view: VarsView, hide: bool, *items: Any) -> Censor:
        """What no_log hides of this task's events, knowing its arguments as rendered for this host."""
        return censor_for(hide, lambda: self._template_args(task, view), *items)

    def flag(self, task: Task, key: str, view: VarsView) -> bool:
        value = task.get(key)
        if value is None:
            return False
        try:
            rendered = self.run.templar.template(value, view)
        except TemplateError:
            return False
        return as_flag(rendered)

    def _check_mode(self, task: Task, view: VarsView) -> bool:
        value = task.get("check_mode")
        if value is None:
            return self.run.options.check
        return bool(self.run.templar.template(value, view))

    def _environment(self, task: Task, view: VarsView) -> dict[str, Any]:
        value = task.get("environment")
        if not value:
            return {}
        rendered = self.run.templar.template(value, view)
        if isinstance(rendered, list):
            merged: dict[str, Any] = {}
            for part in rendered:
                merged.update(part or {})
            rendered = merged
        if not isinstance(rendered, dict):
            raise TemplateError(f"environment must be a mapping, got {type(rendered).__name__}")
        return {str(k): str(v) for k, v in rendered.items()}

    def _module_defaults(self, task: Task, view: VarsView) -> dict[str, Any]:
        table = task.get("module_defaults")
        if not table:
            return {}
        if isinstance(table, list):
            merged: dict[str, Any] = {}
            for part in table:
                merged.update(part or {})
            table = merged
        for key in (task.module, f"ansible.builtin.{task.module}", task.action):
            if key in table:
                return dict(self.run.templar.template(table[key], view) or {})
        return {}

    def _with_delegate_address(self, task: Task, view: VarsView) -> VarsView:
        """Under delegate_to, `ansible_host` is the delegated host's address, as in Ansible."""
        if not task.get("delegate_to") or "ansible_host" in view.layers[0].values:
            return view
        try:
            delegate = str(self.run.templar.template(task.get("delegate_to"), view))
        except TemplateError:
            return view  # depends on the loop item: settled per item
        known = delegate in self.run.inventory.hosts
        address = self.run.vars.hostvars_view(self.play, delegate).get("ansible_host", delegate) if known else delegate
        # Ansible's `ansible_delegated_vars`: the delegated host's variables, under this host's inventory_hostname
        mine = {"inventory_hostname": view.get("inventory_hostname")}
        theirs = self.run.vars.view(delegate, self.play, task).child(mine, label="delegated") if known else mine
        delegated = {delegate: theirs}
        return view.child({"ansible_host": address, "ansible_delegated_vars": delegated}, label="delegation")

    def _delegate(self, task: Task, view: VarsView) -> str | None:
        value = task.get("delegate_to")
        if not value:
            return None
        try:
            return str(self.run.templar.template(value, view))
        except TemplateError:
            return str(value)


# Modules that Ansible runs through an action plugin of the same name (shell goes through command).
ACTION_BACKED_MODULES = frozenset({"command", "shell", "copy", "unarchive", "uri", "assemble"})


# Controller halves that hand back their target module's own result: a failure is the module's
# ("Module failed: ..."), as Ansible words an async_status join that fails.
FORWARDING_ACTIONS = frozenset({"async_status"})


def _take_includes(task: Task, result: dict[str, Any]) -> tuple[list, list]:
    """Pull the loaded files out of an include's result(s): (nodes, params) and (path, label) pairs."""
    parts = result.get("results", []) if task.get("loop") is not None else [result]
    includes, shown = [], []
    for part in parts:
        loaded = part.pop("_miniplay_include", None)
        if loaded:
            includes.append((loaded["nodes"], loaded["params"]))
            label = loaded.get("label", part.get(part.get("ansible_loop_var", "item"))) \
                if "ansible_loop_var" in part else None
            shown.append((loaded["path"], label, "ansible_loop_var" in part))
    return includes, shown
