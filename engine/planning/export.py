"""The plan drawn: Mermaid and Graphviz DOT text, and JSON (`miniplay graph --format ...`)."""
from __future__ import annotations

from typing import Any

from ..core.locations import shown
from .graph import HostGraph, Plan, short

EDGE_STYLE_MERMAID = {
    "order": "-->", "include": "-->", "rescue": "-->", "always": "-->", "notify": "-.->", "job": "==>",
    "data": "-.->",
}
EDGE_COLOR = {"rescue": "#c0392b", "always": "#2471a3", "notify": "#7d3c98", "job": "#d68910", "data": "#7f8c8d"}


def _edge_label(data: dict[str, Any]) -> str:
    kind = data["kind"]
    if kind == "order":
        return ""
    if kind == "job":
        return f"job id: {data.get('var', '')}"
    if kind == "data":
        return str(data.get("var", ""))
    return kind


def node_lines(attrs: dict[str, Any]) -> list[str]:
    """The text of a node: name, then what it is and where, then what a run decides."""
    lines = [short(attrs.get("label", ""), 70)]
    kind = attrs.get("kind")
    detail = []
    if kind not in ("play", "block") and attrs.get("module"):
        detail.append(attrs["module"])
    if attrs.get("location"):
        detail.append(_where(attrs["location"]))
    if detail:
        lines.append(" · ".join(detail))
    role = attrs.get("async_role")
    if role == "launch":
        lines.append(f"async {attrs.get('async')}s, poll 0 → job" + (f" ({attrs['register']})" if attrs.get("register") else ""))
    elif role == "polled":
        lines.append(f"async {attrs.get('async')}s, poll {attrs.get('poll')}s")
    elif role == "join":
        lines.append("joins an async job")
    if attrs.get("loop"):
        lines.append(f"⟳ loop: {attrs['loop']}")
    if kind == "play":
        lines.append(f"hosts: {attrs.get('hosts')}")
    for note in attrs.get("runtime", []):
        if not note.startswith("loop items"):
            lines.append(f"? {note}")
    return lines


def _where(location: str) -> str:
    return shown(location)


def _group_title(group: HostGraph) -> str:
    hosts = group.hosts
    shown = ", ".join(hosts[:6]) + (f" and {len(hosts) - 6} more" if len(hosts) > 6 else "")
    noun = "host" if len(hosts) == 1 else "hosts"
    title = f"{noun}: {shown}"
    if not group.matched:
        title += " (no inventory host matched: run with -i)"
    return title


def _mermaid_text(text: str) -> str:
    return (text.replace("#", "#35;").replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
            .replace(">", "#gt;").replace("{", "#123;").replace("}", "#125;").replace("|", "#124;")
            .replace("`", "#96;"))


MERMAID_SHAPES = {
    "play": ('(["', '"])'), "task": ('["', '"]'), "block": ('{{"', '"}}'), "include": ('[["', '"]]'),
    "handler": ('>"', '"]'), "launch": ('[/"', '"/]'), "polled": ('[/"', '"\\]'), "join": ('[\\"', '"/]'),
}


def to_mermaid(plan: Plan) -> str:
    out = ["flowchart TD",
           "  classDef play fill:#eeeeee,stroke:#333333,font-weight:bold",
           "  classDef block fill:#fdfefe,stroke:#566573",
           "  classDef handler fill:#f4ecf7,stroke:#7d3c98",
           "  classDef launch fill:#fef5e7,stroke:#d68910,stroke-width:2px",
           "  classDef join fill:#e8f8f5,stroke:#138d75,stroke-width:2px",
           "  classDef runtime stroke-dasharray:5 3"]
    link_styles: list[str] = []
    edge_index = 0
    for gi, group in enumerate(plan.groups):
        graph = group.graph
        out.append(f'  subgraph g{gi}["{_mermaid_text(_group_title(group))}"]')
        out.append("    direction TB")
        classes: dict[str, list[str]] = {}
        for nid, attrs in graph.nodes(data=True):
            mid = f"g{gi}_{nid}"
            shape = attrs.get("async_role") if attrs.get("async_role") in ("launch", "polled", "join") else attrs["kind"]
            left, right = MERMAID_SHAPES.get(shape, MERMAID_SHAPES["task"])
            label = "<br/>".join(_mermaid_text(line) for line in node_lines(attrs))
            out.append(f"    {mid}{left}{label}{right}")
            css = {"launch": "launch", "polled": "launch", "join": "join"}.get(attrs.get("async_role") or "",
                                                                               attrs["kind"])
            if css in ("play", "block", "handler", "launch", "join"):
                classes.setdefault(css, []).append(mid)
            if [n for n in attrs.get("runtime", []) if not n.startswith("loop items")]:
                classes.setdefault("runtime", []).append(mid)
        for source, target, data in graph.edges(data=True):
            arrow = EDGE_STYLE_MERMAID[data["kind"]]
            label = _edge_label(data)
            text = f'|"{_mermaid_text(label)}"|' if label else ""
            out.append(f"    g{gi}_{source} {arrow}{text} g{gi}_{target}")
            color = EDGE_COLOR.get(data["kind"])
            if color:
                link_styles.append(f"  linkStyle {edge_index} stroke:{color}")
            edge_index += 1
        out.append("  end")
        for css, members in classes.items():
            out.append(f"  class {','.join(members)} {css}")
    return "\n".join(out + link_styles) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


DOT_SHAPES = {"play": "box", "task": "box", "block": "hexagon", "include": "component", "handler": "cds",
              "launch": "parallelogram", "polled": "trapezium", "join": "invtrapezium"}
DOT_FILL = {"play": "#eeeeee", "block": "#fdfefe", "handler": "#f4ecf7", "launch": "#fef5e7", "polled": "#fef5e7",
            "join": "#e8f8f5", "task": "#ffffff", "include": "#ffffff"}


def to_dot(plan: Plan) -> str:
    out = ["digraph miniplay {", "  rankdir=TB;", '  node [shape=box, style="filled", fontname="Helvetica", '
           'fontsize=10, fillcolor="#ffffff"];', '  edge [fontname="Helvetica", fontsize=9];']
    for gi, group in enumerate(plan.groups):
        graph = group.graph
        out.append(f"  subgraph cluster_{gi} {{")
        out.append(f'    label="{_dot_text(_group_title(group))}"; style="rounded"; color="#999999";')
        for nid, attrs in graph.nodes(data=True):
            shape_key = attrs.get("async_role") if attrs.get("async_role") in ("launch", "polled", "join") \
                else attrs["kind"]
            styles = ["filled"]
            if attrs["kind"] == "play":
                styles.append("rounded")
            if [n for n in attrs.get("runtime", []) if not n.startswith("loop items")]:
                styles.append("dashed")
            label = "\\n".join(_dot_text(line) for line in node_lines(attrs))
            out.append(f'    "g{gi}_{nid}" [label="{label}", shape={DOT_SHAPES.get(shape_key, "box")}, '
                       f'style="{",".join(styles)}", fillcolor="{DOT_FILL.get(shape_key, "#ffffff")}"];')
        for source, target, data in graph.edges(data=True):
            parts = []
            label = _edge_label(data)
            if label:
                parts.append(f'label="{_dot_text(label)}"')
            color = EDGE_COLOR.get(data["kind"])
            if color:
                parts.append(f'color="{color}"')
                parts.append(f'fontcolor="{color}"')
            if data["kind"] in ("notify", "data"):
                parts.append("style=dashed")
            if data["kind"] == "job":
                parts.append("penwidth=2")
            out.append(f'    "g{gi}_{source}" -> "g{gi}_{target}"' + (f" [{', '.join(parts)}]" if parts else "") + ";")
        out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def to_json(plan: Plan) -> dict[str, Any]:
    """Plain data: one entry per host group with its nodes (in walk order first) and edges."""
    groups = []
    for group in plan.groups:
        graph = group.graph
        nodes = [{"id": nid, **attrs} for nid, attrs in graph.nodes(data=True)]
        edges = [{"source": s, "target": t, **d} for s, t, d in graph.edges(data=True)]
        groups.append({"hosts": group.hosts, "matched": group.matched, "order": group.order,
                       "nodes": nodes, "edges": edges})
    return {"playbook": plan.playbook.path, "schema": 1, "groups": groups}
