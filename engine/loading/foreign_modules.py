"""Modules miniplay does not implement, found where Ansible finds them, and run as Ansible runs them.

How this works
--------------
The loader asks `ForeignModules.resolve()` for a name no native module or action has.
A short name (`hello`, `dnf`) is looked for, in Ansible's order, in

1. the current role's `library/`, then the `library/` of roles loaded before it;
2. `library/` beside the playbook;
3. `-M/--module-path`, then `ANSIBLE_LIBRARY` or `library` in ansible.cfg
   (default `~/.ansible/plugins/modules:/usr/share/ansible/plugins/modules`);
4. each collection of the play's or block's `collections:` list;
5. ansible-core's own `ansible/modules/`, after its routing table (`yum` → `dnf`).

A fully qualified name goes straight to its place (`ansible.builtin.*` → 5,
`ansible.legacy.*` → 1-3 then 5, `ns.col.*` → that collection, following its
`meta/runtime.yml`). What is found becomes a `ForeignModule` under a key that is the
task's `module` (its Python name on the target); the executor hands that to
`call_foreign()`, which builds the payload (module_payload.py) once per controller and
ships it once per worker. What is not found gets one of three messages: nothing anywhere
(with "did you mean"), an Ansible module that needs something we lack (ansible-core, or
it is a controller-side action), or a collection that is not installed (which, and
where we looked).
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.registry import controller_actions, target_modules
from .action_plugin_finder import ActionPlugin, ActionPluginFinder
from .collection_index import CollectionError, CollectionIndex, removal_text, route_in, search_paths

if TYPE_CHECKING:
    # Imported where used: finding ansible-core (subprocess, json) and building payloads (ast)
    # cost every run at start, and most runs call no module written for Ansible.
    from .ansible_install import AnsibleInstall
    from .module_payload import Payload

DEFAULT_LIBRARY = ("~/.ansible/plugins/modules", "/usr/share/ansible/plugins/modules")
# ansible-core 2.19's module names (names only: tells "needs ansible-core" from "no such module").
ANSIBLE_CORE_MODULES = frozenset(
    "add_host apt apt_key apt_repository assemble assert async_status async_wrapper blockinfile command copy cron "
    "deb822_repository debconf debug dnf dnf5 dpkg_selections expect fail fetch file find gather_facts get_url "
    "getent git group group_by hostname import_playbook import_role import_tasks include_role include_tasks "
    "include_vars iptables known_hosts lineinfile meta mount_facts package package_facts pause ping pip raw reboot "
    "replace rpm_key script service service_facts set_fact set_stats setup shell slurp stat subversion systemd "
    "systemd_service sysvinit tempfile template unarchive uri user validate_argument_spec wait_for "
    "wait_for_connection yum_repository".split())
BUILTIN_ROUTES = {"yum": "dnf"}  # ansible-core's own routing, for messages when it is not installed
# Their file in ansible/modules/ is documentation only: Ansible runs them as controller code.
CONTROLLER_ONLY = frozenset({"reboot", "wait_for_connection", "set_stats", "validate_argument_spec",
                             "gather_facts", "async_wrapper"})
MAX_REDIRECTS = 10
# The modules ansible-core runs through an action of their own (names only); the rest go through
# the generic action, which a user's `normal.py` replaces.
ANSIBLE_CORE_ACTIONS = frozenset(
    "add_host assemble assert async_status command copy debug dnf fail fetch gather_facts group_by include_vars "
    "package pause raw reboot script service set_fact set_stats shell template unarchive uri "
    "validate_argument_spec wait_for_connection yum include_tasks include_role meta".split())
COLLECTION_ROLE = re.compile(r"^([A-Za-z_]\w*)\.([A-Za-z_]\w*)\.([A-Za-z_][\w.]*)$")


# Not modules, though they sit in library/ beside them (Ansible skips the same kinds of file).
NOT_MODULE_SUFFIXES = (".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".yml", ".yaml",
                       ".json", ".ini", ".cfg", ".ps1", ".psm1", ".cs")


def _module_files(directory: str, name: str, entries: frozenset[str]) -> list[str]:
    """`name.py`, then `name`, then `name.<ext>` (a script such as hello.sh) in `directory` (its `entries`)."""
    found = [entry for entry in (name + ".py", name) if entry in entries]
    found += sorted(entry for entry in entries if entry.startswith(name + ".") and "." not in entry[len(name) + 1:]
                    and not entry.endswith(NOT_MODULE_SUFFIXES) and entry != name + ".py")
    paths = [os.path.join(directory, entry) for entry in found]
    return [path for path in paths if os.path.isfile(path)]


def folder_entries(directory: str, cache: dict[str, frozenset[str]]) -> frozenset[str]:
    """The names in a folder, read once per loader (a task list names the same folders thousands of times)."""
    entries = cache.get(directory)
    if entries is None:
        try:
            entries = frozenset(os.listdir(directory))
        except OSError:
            entries = frozenset()
        cache[directory] = entries
    return entries


def collection_of(path: str) -> str | None:
    """`ns.col` when `path` lies inside an installed collection (.../ansible_collections/ns/col/...)."""
    parts = os.path.normpath(path).split(os.sep)
    if "ansible_collections" not in parts:
        return None
    index = len(parts) - 1 - parts[::-1].index("ansible_collections")
    return ".".join(parts[index + 1:index + 3]) if len(parts) > index + 2 else None


@dataclass(frozen=True)
class ForeignModule:
    """A module file to run on the target, and the names it goes by."""

    key: str          # the task's `module`: ansible.legacy.x, ansible.builtin.x, ns.col.x
    name: str         # the short name (Ansible's _ansible_module_name is the name as written)
    path: str         # the file on the controller
    fqn: str          # its Python name on the target


@dataclass
class Refusal:
    """Why a name cannot run here; `kind` is nothing | needs | collection | broken."""

    kind: str
    message: str


class ForeignModules:
    """Resolution for one loader (one CLI run): library paths, collections, ansible-core."""

    def __init__(self, module_paths: list[str] | None = None, config: dict[str, Any] | None = None,
                 environ: dict[str, str] | None = None) -> None:
        self.environ = dict(os.environ if environ is None else environ)
        self.config = dict(config or {})
        configured = self.environ.get("ANSIBLE_LIBRARY") or self.config.get("library")
        library = [p for p in str(configured).split(os.pathsep) if p] if configured else list(DEFAULT_LIBRARY)
        self.module_paths = [os.path.abspath(os.path.expanduser(p)) for p in list(module_paths or []) + library]
        self.modules: dict[str, ForeignModule] = {}
        self.role_libraries: list[str] = []
        self.warnings: list[str] = []
        self._install: AnsibleInstall | None = None
        self._install_known = False
        self._index: CollectionIndex | None = None
        self._playbook_dir: str | None = None
        self._payloads: dict[tuple[str, float], Payload] = {}
        self._lock = threading.Lock()
        self._listings: dict[str, frozenset[str]] = {}   # folder -> its entries, read once
        self.actions = ActionPluginFinder(self.config, self.environ, self._listings)

    # ------------------------------------------------------------------ where things are
    @property
    def install(self) -> AnsibleInstall | None:
        if not self._install_known:
            from .ansible_install import find_ansible

            self._install = find_ansible(self.environ)
            self._install_known = True
        return self._install

    def set_playbook_dir(self, directory: str) -> None:
        if self._playbook_dir != directory:
            self._playbook_dir = directory
            self._index = None

    @property
    def index(self) -> CollectionIndex:
        if self._index is None:
            from .ansible_install import controller_site_dirs

            site = controller_site_dirs() + (list(self.install.site_dirs) if self.install else [])
            self._index = CollectionIndex(search_paths(self._playbook_dir, self.config, self.environ, site))
        return self._index

    def add_role_library(self, role_path: str) -> None:
        """The library/ of a role (or of an imported playbook): searched for the rest of the run."""
        library = os.path.join(role_path, "library")
        if os.path.isdir(library) and library not in self.role_libraries:
            self.role_libraries.append(library)
        self.actions.add_role(role_path)

    def library_override(self, written: str, native: str, role_path: str | None = None) -> ForeignModule | None:
        """A module file in library/ (a role's, the playbook's, -M) named like a native module wins, as in
        Ansible, where that module has no action of its own (an action such as copy keeps miniplay's)."""
        if native in ANSIBLE_CORE_ACTIONS or native not in target_modules() or native in controller_actions():
            return None
        parts = written.split(".")
        if len(parts) not in (1, 3) or (len(parts) == 3 and tuple(parts[:2]) != ("ansible", "legacy")):
            return None
        return self._legacy(parts[-1], role_path)

    def action_plugin(self, written: str, module: str | None, role_path: str | None = None,
                      collections: list[str] | None = None) -> ActionPlugin | None:
        """The user's action plugin a task naming `written` runs (`module`: what the name is as a module)."""
        short = module.rsplit(".", 1)[-1] if module else ""
        generic = module is not None and short not in ANSIBLE_CORE_ACTIONS
        try:
            return self.actions.find(written, module, generic, role_path, self._playbook_dir,
                                     lambda namespace, name: self.index.root(namespace, name),  # built lazily
                                     list(collections or []))
        except CollectionError:
            return None

    def get(self, key: str) -> ForeignModule | None:
        return self.modules.get(key)

    def take_deprecations(self) -> list[str]:
        """Deprecation notices met while resolving names (runtime.yml), each handed out once."""
        taken, self.warnings = self.warnings, []
        return taken

    def collection_role(self, written: str) -> str | None:
        """The directory of role `ns.col.role` in an installed collection, or None."""
        match = COLLECTION_ROLE.match(written)
        if not match:
            return None
        root = self.index.root(match.group(1), match.group(2))
        if root is None:
            return None
        path = os.path.join(root, "roles", *match.group(3).split("."))
        return path if os.path.isdir(path) else None

    def missing_collection(self, written: str) -> str | None:
        """For `ns.col.name` whose collection is not installed: a sentence saying which, and where we looked."""
        match = COLLECTION_ROLE.match(written)
        if not match or self.index.root(match.group(1), match.group(2)) is not None:
            return None
        collection = f"{match.group(1)}.{match.group(2)}"
        return (f"The collection '{collection}' is not installed; looked in: {self.index.looked_in()}. Install it "
                f"with `ansible-galaxy collection install {collection}`.")

    def nearby_names(self, written: str) -> list[str]:
        """The modules of the collection `written` names (for "did you mean")."""
        parts = written.split(".")
        if len(parts) < 3:
            return []
        root = self.index.root(parts[0], parts[1])
        folder = os.path.join(root, "plugins", "modules") if root else ""
        if not folder or not os.path.isdir(folder):
            return []
        return [f"{parts[0]}.{parts[1]}.{name[:-3]}" for name in os.listdir(folder) if name.endswith(".py")]

    # ------------------------------------------------------------------ resolving a name
    def resolve(self, written: str, role_path: str | None = None,
                collections: list[str] | None = None) -> ForeignModule | Refusal:
        try:
            return self._resolve(written, role_path, list(collections or []), 0)
        except CollectionError as exc:
            return Refusal("broken", exc.message)

    def _resolve(self, written: str, role_path: str | None, collections: list[str],
                 depth: int) -> ForeignModule | Refusal:
        if depth > MAX_REDIRECTS:
            return Refusal("broken", f"Too many redirects resolving module '{written}'")
        parts = written.split(".")
        if len(parts) >= 3:
            namespace, collection, name = parts[0], parts[1], ".".join(parts[2:])
            if (namespace, collection) == ("ansible", "builtin"):
                return self._builtin(name, written, depth)
            if (namespace, collection) == ("ansible", "legacy"):
                found = self._legacy(name, role_path)
                return found if found is not None else self._builtin(name, written, depth)
            return self._collection(namespace, collection, name, written, depth)
        if len(parts) != 1:
            return Refusal("nothing", "")
        found = self._legacy(written, role_path)
        if found is not None:
            return found
        for entry in collections:
            pieces = str(entry).split(".")
            if len(pieces) != 2 or tuple(pieces) in (("ansible", "builtin"), ("ansible", "legacy")):
                continue
            attempt = self._collection(pieces[0], pieces[1], written, f"{entry}.{written}", depth)
            if isinstance(attempt, ForeignModule):
                return attempt
        return self._builtin(written, written, depth)

    def _legacy(self, name: str, role_path: str | None) -> ForeignModule | None:
        directories: list[str] = []
        if role_path:
            directories.append(os.path.join(role_path, "library"))
        directories += self.role_libraries
        if self._playbook_dir:
            directories.append(os.path.join(self._playbook_dir, "library"))
        directories += self.module_paths
        for directory in directories:
            for candidate in _module_files(directory, name, folder_entries(directory, self._listings)):
                return self._remember(ForeignModule(f"ansible.legacy.{name}", name, candidate,
                                                    f"ansible.legacy.{name}"))
        return None

    def _builtin(self, name: str, written: str, depth: int) -> ForeignModule | Refusal:
        install = self.install
        if install is not None and install.package_dir:
            runtime = os.path.join(install.package_dir, "config", "ansible_builtin_runtime.yml")
            route = route_in(runtime, "modules", name)
            if route.redirect is None and route.tombstone is None:
                route = route_in(runtime, "action", name)  # yum → dnf is routed as an action
            if route.tombstone is not None:
                return Refusal("needs", removal_text(written, route.tombstone, "ansible.builtin", True))
            if route.redirect:
                self._deprecated(written, route.deprecation, "ansible.builtin")
                return self._resolve(route.redirect, None, [], depth + 1)
        elif name in BUILTIN_ROUTES:
            name = BUILTIN_ROUTES[name]
        if name in CONTROLLER_ONLY:
            return Refusal("needs", f"'{written}' is an ansible-core action that runs on the controller "
                                    "(its module file is documentation only); miniplay does not implement it, "
                                    "and never runs Ansible's controller code.")
        if install is not None and install.modules_dir:
            path = os.path.join(install.modules_dir, name + ".py")
            if os.path.isfile(path):
                return self._remember(ForeignModule(f"ansible.builtin.{name}", name, path, f"ansible.modules.{name}"))
        if name in ANSIBLE_CORE_MODULES:
            from .ansible_install import INSTALL_HINT

            return Refusal("needs", f"'{written}' is an ansible-core module that miniplay does not implement "
                                    "natively; it runs through the copy of ansible-core installed on the "
                                    f"controller, and none was found. {INSTALL_HINT}")
        return Refusal("nothing", "")

    def _collection(self, namespace: str, collection: str, name: str, written: str,
                    depth: int) -> ForeignModule | Refusal:
        root = self.index.root(namespace, collection)
        if root is None:
            return Refusal("collection", f"couldn't resolve module/action '{written}': the collection "
                                         f"'{namespace}.{collection}' is not installed. Looked in: "
                                         f"{self.index.looked_in()}. Install it with `ansible-galaxy collection "
                                         f"install {namespace}.{collection}` (or `pip install ansible` for the "
                                         "bundle), or set ANSIBLE_COLLECTIONS_PATH / collections_path in "
                                         "ansible.cfg.")
        route = self.index.route(namespace, collection, "modules", name)
        if route.tombstone is not None:
            return Refusal("needs", removal_text(written, route.tombstone, f"{namespace}.{collection}", True))
        self._deprecated(written, route.deprecation, f"{namespace}.{collection}")
        if route.redirect:
            target = route.redirect if "." in route.redirect else f"{namespace}.{collection}.{route.redirect}"
            return self._resolve(target, None, [], depth + 1)
        path = os.path.join(root, "plugins", "modules", *name.split(".")) + ".py"
        if not os.path.isfile(path):
            return Refusal("nothing", "")
        fqn = f"ansible_collections.{namespace}.{collection}.plugins.modules.{name}"
        return self._remember(ForeignModule(f"{namespace}.{collection}.{name}", name.rsplit(".", 1)[-1], path, fqn))

    def _deprecated(self, written: str, entry: dict[str, Any] | None, collection: str) -> None:
        if entry is not None:
            message = removal_text(written, entry, collection, False)
            if message not in self.warnings:
                self.warnings.append(message)

    def _remember(self, module: ForeignModule) -> ForeignModule:
        existing = self.modules.get(module.key)
        if existing is not None and existing.path != module.path:
            # two files under one name (two roles' library/): the second gets its own key
            key = f"{module.key}@{len(self.modules)}"
            module = ForeignModule(key, module.name, module.path, module.fqn)
        self.modules[module.key] = module
        return module

    # ------------------------------------------------------------------ payloads
    def payload(self, module: ForeignModule) -> Payload:
        """The module's payload, built once per file version (PayloadError when it cannot be)."""
        mtime = os.stat(module.path).st_mtime
        with self._lock:
            cached = self._payloads.get((module.path, mtime))
        if cached is not None:
            return cached
        from .module_payload import build

        install = self.install
        payload = build(module.name, module.path, module.fqn, install.module_utils if install else None,
                        self.index.root, install.version if install else "")
        with self._lock:
            self._payloads[(module.path, mtime)] = payload
        return payload

    def call(self, worker: Any, request: dict[str, Any], module: ForeignModule, written: str,
             verbosity: int, timeout: int | None) -> dict[str, Any]:
        """Run the module through the host's worker, sending the payload if the host lacks it."""
        from .module_payload import PayloadError

        try:
            payload = self.payload(module)
        except PayloadError as exc:
            failure: dict[str, Any] = {"changed": False, "failed": True, "msg": f"Task failed: {exc.message}"}
            if exc.where:  # the cause is in the module's file: shown under "caused by"
                from ..core.errors import Location

                failure["_miniplay_cause_at"] = Location(*exc.where)
            return failure
        except OSError as exc:
            return {"changed": False, "failed": True, "msg": f"Task failed: cannot read {module.path}: {exc}"}
        install = self.install
        spec = payload.spec(with_files=False)
        spec.update(name=written, verbosity=verbosity, version=install.version if install else "")
        request = {**request, "foreign": spec, "timeout": timeout}
        result = worker.call(request)
        if result.get("_miniplay_need_payload"):
            spec["files"] = payload.files
            result = worker.call(request)
        return result
