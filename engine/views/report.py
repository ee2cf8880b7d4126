"""`miniplay report run.jsonl -o report.html`: one self-contained HTML page about a run.

The page needs nothing from the network (inline CSS, inline SVG, a few lines of
inline script), so it opens offline, from a mail attachment or a CI artifact:

* a per-host Gantt chart: each task as a bar coloured by its result (attempts
  and items marked inside it), the time a host waited for the slowest host as
  a hatched bar, async jobs in lanes under their host, poll ticks as dots;
* the recap table (ok, changed, failed... per host);
* the slowest tasks, and every failure with its message and file:line.

Everything shown is computed by `output.trace.Timeline` from the event records.
"""
from __future__ import annotations

import html
import json
import math
from typing import Any

from ..core.locations import shown
from .trace import Span, Timeline

STATUS_COLORS = {"ok": "#4caf50", "changed": "#f0ad4e", "failed": "#d9534f", "skipped": "#5bc0de",
                 "unreachable": "#8b0000", "unfinished": "#9e9e9e", "retry": "#e57373"}
STAT_KEYS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")

LABEL_W = 170
CHART_W = 940
ROW_H = 22
LANE_H = 12

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px 0; } h2 { font-size: 16px; margin: 28px 0 8px 0; }
.meta { color: #666; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.bad { color: #c62828; font-weight: bold; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px; }
svg text { font-size: 11px; font-family: inherit; }
svg .host { font-size: 12px; font-weight: bold; }
svg rect.bar:hover, svg rect.bar.hl { stroke: #000; stroke-width: 1.5px; }
#detail { min-height: 1.4em; font-size: 13px; color: #333; margin: 6px 0; font-family: monospace; }
code { background: #f4f4f4; padding: 0 3px; }
pre { background: #f8f8f8; padding: 6px; white-space: pre-wrap; font-size: 12px; margin: 4px 0; }
"""

SCRIPT = """
(function () {
  var detail = document.getElementById('detail');
  var bars = document.querySelectorAll('rect.bar');
  function show(bar) {
    var key = bar.getAttribute('data-task');
    for (var i = 0; i < bars.length; i++) {
      bars[i].classList.toggle('hl', key !== null && bars[i].getAttribute('data-task') === key);
    }
    detail.textContent = bar.getAttribute('data-info') || '';
  }
  for (var i = 0; i < bars.length; i++) {
    bars[i].addEventListener('mouseenter', function (e) { show(e.currentTarget); });
  }
})();
"""


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _where(location: Any) -> str:
    return shown(location)


def _fmt(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def _tick_step(duration: float) -> float:
    """A round tick interval giving 5 to 12 ticks."""
    if duration <= 0:
        return 1.0
    raw = duration / 8
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


class _Gantt:
    def __init__(self, timeline: Timeline) -> None:
        self.t = timeline
        self.t0 = timeline.start or 0.0
        self.duration = max(timeline.duration, 1e-6)

    def x(self, when: float) -> float:
        return LABEL_W + (when - self.t0) / self.duration * CHART_W

    def width(self, span: Span) -> float:
        return max(1.0, span.duration / self.duration * CHART_W)

    def svg(self) -> str:
        hosts = self.t.hosts
        lanes = {h: 1 + max([s.lane for s in self.t.host_spans(h) if s.cat == "async"], default=-1) for h in hosts}
        top = 34
        rows: list[str] = []
        y = top
        for host in hosts:
            height = ROW_H + lanes[host] * LANE_H + 8
            rows.append(self.row(host, y, lanes[host]))
            y += height
        total_h = y + 10
        total_w = LABEL_W + CHART_W + 20
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
                 f'viewBox="0 0 {total_w} {total_h}" role="img" aria-label="per-host timeline">',
                 '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
                 'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2f2f2"/>'
                 '<line x1="0" y1="0" x2="0" y2="6" stroke="#bdbdbd" stroke-width="2"/></pattern></defs>']
        parts += self.axis(top, total_h)
        parts += self.plays(top, total_h)
        parts += rows
        parts.append("</svg>")
        return "\n".join(parts)

    def axis(self, top: int, bottom: float) -> list[str]:
        step = _tick_step(self.duration)
        out = []
        n = 0
        while n * step <= self.duration + 1e-9:
            x = self.x(self.t0 + n * step)
            out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom - 10}" stroke="#eeeeee"/>')
            out.append(f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle" fill="#777">{_esc(_fmt(n * step))}</text>')
            n += 1
        return out

    def plays(self, top: int, bottom: float) -> list[str]:
        out = []
        for span in self.t.spans:
            if span.cat != "play":
                continue
            x = self.x(span.start)
            out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom - 10}" stroke="#9e9e9e" '
                       'stroke-dasharray="3,3"><title>' + _esc(span.name) + '</title></line>')
            out.append(f'<text x="{x + 3:.1f}" y="12" fill="#555">{_esc(span.name[:60])}</text>')
        return out

    def row(self, host: str, y: float, lanes: int) -> str:
        out = [f'<g class="row" data-host="{_esc(host)}">',
               f'<text class="host" x="6" y="{y + 15}">{_esc(host[:24])}<title>{_esc(host)}</title></text>',
               f'<line x1="{LABEL_W}" y1="{y + ROW_H + lanes * LANE_H + 4}" x2="{LABEL_W + CHART_W}" '
               f'y2="{y + ROW_H + lanes * LANE_H + 4}" stroke="#f0f0f0"/>']
        for span in self.t.host_spans(host):
            out.append(self.bar(span, y))
        for instant in self.t.instants:
            if instant.host == host:
                cy = y + ROW_H + instant.lane * LANE_H + LANE_H / 2
                out.append(f'<circle cx="{self.x(instant.time):.1f}" cy="{cy:.1f}" r="2" fill="#6d4c41">'
                           f'<title>async poll {_esc(instant.args.get("jid", ""))} at '
                           f'{_esc(_fmt(instant.time - self.t0))}</title></circle>')
        out.append("</g>")
        return "\n".join(out)

    def bar(self, span: Span, y: float) -> str:
        x = self.x(span.start)
        w = self.width(span)
        info = f"{span.host} · {span.name} · {_fmt(span.duration)}"
        if span.status:
            info += f" · {span.status}"
        if span.path:
            info += f" · {_where(span.path)}"
        if span.args.get("msg"):
            info += f" · {span.args['msg']}"
        title = f"<title>{_esc(info)}</title>"
        key = _esc(span.path or span.name)
        common = f'data-task="{key}" data-info="{_esc(info)}"'
        if span.cat in ("task", "handler"):
            color = STATUS_COLORS.get(span.status, "#9e9e9e")
            stroke = ' stroke="#7d3c98" stroke-width="1.5"' if span.cat == "handler" else ""
            bar = (f'<rect class="bar {span.cat}" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 6}" '
                   f'fill="{color}"{stroke} {common}>{title}</rect>')
            room = int((w - 6) / 6)  # about 6 px a character at 11 px
            if room >= 4:
                text = span.name if len(span.name) <= room else span.name[:room - 1] + "…"
                bar += (f'<text x="{x + 3:.1f}" y="{y + 15}" fill="#ffffff" pointer-events="none">'
                        f'{_esc(text)}</text>')
            return bar
        if span.cat in ("attempt", "item"):
            return (f'<rect class="bar {span.cat}" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 6}" '
                    f'fill="none" stroke="#ffffff" stroke-width="1" {common}>{title}</rect>')
        if span.cat == "retry-delay":
            return (f'<rect class="bar delay" x="{x:.1f}" y="{y + 7}" width="{w:.1f}" height="{ROW_H - 14}" '
                    f'fill="#ffcdd2" {common}>{title}</rect>')
        if span.cat == "wait":
            return (f'<rect class="bar wait" x="{x:.1f}" y="{y + 6}" width="{w:.1f}" height="{ROW_H - 12}" '
                    f'fill="url(#hatch)" {common}>{title}</rect>')
        if span.cat == "queue":
            return (f'<rect class="bar queue" x="{x:.1f}" y="{y + 9}" width="{w:.1f}" height="{ROW_H - 18}" '
                    f'fill="#cfd8dc" {common}>{title}</rect>')
        if span.cat == "async":
            ly = y + ROW_H + span.lane * LANE_H + 1
            color = "#8d6e63" if span.status == "ok" else "#d9534f" if span.status == "failed" else "#bcaaa4"
            return (f'<rect class="bar async" x="{x:.1f}" y="{ly}" width="{w:.1f}" height="{LANE_H - 3}" rx="2" '
                    f'fill="{color}" {common}>{title}</rect>')
        return ""


def _recap(timeline: Timeline) -> str:
    head = "".join(f"<th>{k}</th>" for k in STAT_KEYS)
    rows = []
    for host in timeline.hosts:
        counts = timeline.stats.get(host, {})
        cells = []
        for key in STAT_KEYS:
            value = counts.get(key, 0)
            bad = ' bad' if key in ("failed", "unreachable") and value else ""
            cells.append(f'<td class="n{bad}">{value}</td>')
        rows.append(f"<tr><td>{_esc(host)}</td>{''.join(cells)}</tr>")
    if not timeline.stats:
        rows.append(f'<tr><td colspan="{len(STAT_KEYS) + 1}">no recap: the run did not finish</td></tr>')
    return f"<table><tr><th>host</th>{head}</tr>{''.join(rows)}</table>"


def _slowest(timeline: Timeline, limit: int = 15) -> str:
    spans = sorted((s for s in timeline.spans if s.cat == "task-all"), key=lambda s: -s.duration)[:limit]
    rows = [f"<tr><td>{_esc(s.name)}</td><td><code>{_esc(_where(s.path))}</code></td><td class=\"n\">{_esc(_fmt(s.duration))}"
            f"</td><td>{_esc(s.args.get('slowest', ''))}</td><td class=\"n\">{s.args.get('hosts', '')}</td></tr>"
            for s in spans]
    return ("<table><tr><th>task</th><th>where</th><th>took</th><th>slowest host</th><th>hosts</th></tr>"
            + "".join(rows) + "</table>")


def _waits(timeline: Timeline) -> str:
    total: dict[str, float] = {}
    for span in timeline.spans:
        if span.cat == "wait":
            total[span.host] = total.get(span.host, 0.0) + span.duration
    if not total:
        return "<p class=\"meta\">No host waited for another (one host, or all hosts equally fast).</p>"
    rows = "".join(f"<tr><td>{_esc(h)}</td><td class=\"n\">{_esc(_fmt(v))}</td></tr>"
                   for h, v in sorted(total.items(), key=lambda item: -item[1]))
    return ("<p class=\"meta\">Under the linear strategy every host waits for the slowest before the next task.</p>"
            f"<table><tr><th>host</th><th>time spent waiting</th></tr>{rows}</table>")


def _failures(records: list[dict[str, Any]]) -> str:
    rows = []
    for rec in records:
        data = rec.get("data") or {}
        if rec.get("kind") not in ("host_result", "item_result") or data.get("status") not in ("failed", "unreachable"):
            continue
        result = data.get("result") or {}
        task = rec.get("task") or {}
        message = result.get("msg") or result.get("stderr") or ""
        ignored = " (ignored)" if data.get("ignored") else ""
        item = f" (item={data.get('label')})" if rec.get("kind") == "item_result" else ""
        rows.append(f"<tr><td>{_esc(rec.get('host'))}</td><td>{_esc(task.get('name', ''))}{_esc(item)}"
                    f"{_esc(ignored)}</td><td><code>{_esc(_where(task.get('path', '')))}</code></td>"
                    f"<td><pre>{_esc(str(message)[:2000])}</pre></td></tr>")
    if not rows:
        return "<p class=\"meta\">No task failed.</p>"
    return "<table><tr><th>host</th><th>task</th><th>where</th><th>message</th></tr>" + "".join(rows) + "</table>"


def render_report(records: list[dict[str, Any]], source: str | None = None) -> str:
    """The whole HTML page for these event records."""
    timeline = Timeline(records)
    gantt = _Gantt(timeline)
    title = ", ".join(_where(p) for p in timeline.playbooks) or "miniplay run"
    jobs = sum(1 for s in timeline.spans if s.cat == "async")
    meta = (f"{len(timeline.hosts)} host{'s' if len(timeline.hosts) != 1 else ''} · "
            f"{len([s for s in timeline.spans if s.cat == 'task-all'])} tasks · {jobs} async job"
            f"{'s' if jobs != 1 else ''} · {_fmt(timeline.duration)}")
    if source:
        meta += f" · from {source}"
    legend = "".join(f'<span><i style="background:{c}"></i>{k}</span>' for k, c in STATUS_COLORS.items()
                     if k not in ("unfinished",))
    legend += ('<span><i style="background:#cfd8dc"></i>waiting for a fork</span>'
               '<span><i style="background:#e0e0e0"></i>waiting for the slowest host</span>'
               '<span><i style="background:#8d6e63"></i>async job</span>'
               '<span><i style="background:#ffcdd2"></i>retry delay</span>')
    data = json.dumps({"hosts": timeline.hosts, "duration": timeline.duration}).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>miniplay report: {_esc(title)}</title>
<style>{CSS}</style></head>
<body>
<h1>miniplay run: {_esc(title)}</h1>
<div class="meta">{_esc(meta)}</div>
<h2>Timeline</h2>
<div class="legend">{legend}</div>
<div id="detail">Point at a bar for details; bars of the same task light up on every host.</div>
<div class="chart">{gantt.svg()}</div>
<h2>Recap</h2>
{_recap(timeline)}
<h2>Failures</h2>
{_failures(records)}
<h2>Slowest tasks</h2>
{_slowest(timeline)}
<h2>Waiting for the slowest host</h2>
{_waits(timeline)}
<script type="application/json" id="run-data">{data}</script>
<script>{SCRIPT}</script>
</body></html>
"""
