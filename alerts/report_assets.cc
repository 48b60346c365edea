#include "alerts/report_assets.h"

namespace trailsight::alerts {

std::string_view ReportStyle() {
  return R"css(
:root { color-scheme: light; --ink: #1d2329; --muted: #5f6b76; --line: #d5dbe1;
  --calls: #2364aa; --span: #f2b134; --expected: #3b9c5a; --firing: #c0392b;
  --critical: #8e1b10; --high: #c0392b; --medium: #d68910; --low: #2e86c1;
  --informational: #7f8c8d; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
  margin: 24px auto; max-width: 1000px; padding: 0 12px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 4px; }
p.sources, p.where, p.legend, p.no-series { color: var(--muted); margin: 4px 0; }
#filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 12px 0; }
#filters select { margin-left: 4px; }
#shown { color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
#list td:first-child { white-space: nowrap; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
td.value { word-break: break-all; }
.severity { font-weight: 600; }
.Critical { color: var(--critical); } .High { color: var(--high); }
.Medium { color: var(--medium); } .Low { color: var(--low); }
.Informational { color: var(--informational); }
section.item { border-top: 2px solid var(--line); padding: 16px 0; }
svg { display: block; max-width: 100%; height: auto; font-size: 11px; }
svg .plot { fill: #fbfcfd; stroke: var(--line); }
svg .grid { stroke: var(--line); stroke-dasharray: 2 3; }
svg .tick { stroke: var(--muted); fill: var(--muted); text-anchor: middle; }
svg text.tick { stroke: none; }
svg .value { fill: var(--muted); text-anchor: end; }
svg .lane { fill: var(--muted); }
svg .span { fill: var(--span); fill-opacity: 0.3; stroke: var(--span); }
svg .calls-area { fill: var(--calls); fill-opacity: 0.15; stroke: none; }
svg .calls { fill: none; stroke: var(--calls); stroke-width: 1.2; }
svg .expected { fill: none; stroke: var(--expected); stroke-width: 1.2; stroke-dasharray: 5 3; }
svg .firing { fill: none; stroke: var(--firing); stroke-width: 1.2; stroke-dasharray: 2 2; }
svg rect.insight, svg path.alert { fill: currentColor; stroke: none; }
svg rect.insight { fill-opacity: 0.75; }
span.key { display: inline-block; width: 18px; height: 0; margin: 0 4px 3px 10px;
  border-top: 2px solid; }
span.key.calls { border-color: var(--calls); }
span.key.span { height: 10px; border: 1px solid var(--span); background: #f2b1344d;
  margin-bottom: -1px; }
span.key.expected { border-top: 2px dashed var(--expected); }
span.key.firing { border-top: 2px dotted var(--firing); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
dt { color: var(--muted); } dd { margin: 0; word-break: break-all; }
details { margin-top: 8px; }
pre { background: #f5f7f9; border: 1px solid var(--line); padding: 8px; overflow-x: auto;
  white-space: pre-wrap; word-break: break-all; font-size: 12px; }
)css";
}

std::string_view ReportScript() {
  return R"js(
(function () {
  'use strict';
  var body = document.querySelector('#list tbody');
  var rows = Array.prototype.slice.call(body.querySelectorAll('tr'));
  var selects = Array.prototype.slice.call(document.querySelectorAll('select[data-filter]'));
  var sort = document.getElementById('sort');
  var marks = Array.prototype.slice.call(document.querySelectorAll('[data-item]'))
      .filter(function (element) { return element.tagName !== 'TR'; });

  selects.forEach(function (select) {
    var key = select.getAttribute('data-filter');
    var values = Object.create(null);
    rows.forEach(function (row) { values[row.dataset[key]] = true; });
    Object.keys(values).sort().forEach(function (value) {
      var option = document.createElement('option');
      option.value = value;
      option.textContent = value;
      select.appendChild(option);
    });
    select.addEventListener('change', apply);
  });
  sort.addEventListener('change', apply);

  // A link can carry a view: ?account=...&region=...&api=...&type=...&order=severity. A value
  // that no row has selects nothing, so it filters nothing.
  var query = new URLSearchParams(window.location.search);
  selects.forEach(function (select) {
    var wanted = query.get(select.getAttribute('data-filter'));
    if (wanted !== null) select.value = wanted;
    if (select.selectedIndex < 0) select.value = '';
  });
  if (query.get('order') === 'severity') sort.value = 'severity';

  function compare(a, b) {
    var timeA = Number(a.dataset.time), timeB = Number(b.dataset.time);
    var severityA = Number(a.dataset.severity), severityB = Number(b.dataset.severity);
    if (sort.value === 'severity' && severityA !== severityB) return severityB - severityA;
    if (timeA !== timeB) return timeA - timeB;
    if (severityA !== severityB) return severityB - severityA;
    return Number(a.dataset.order) - Number(b.dataset.order);
  }

  function apply() {
    var wanted = selects.filter(function (select) { return select.value !== ''; });
    var visible = Object.create(null);
    var shown = 0;
    rows.forEach(function (row) {
      var match = wanted.every(function (select) {
        return row.dataset[select.getAttribute('data-filter')] === select.value;
      });
      row.hidden = !match;
      if (match) {
        visible[row.dataset.item] = true;
        shown += 1;
      }
    });
    marks.forEach(function (element) {
      element.style.display = visible[element.getAttribute('data-item')] ? '' : 'none';
    });
    rows.slice().sort(compare).forEach(function (row) { body.appendChild(row); });
    document.getElementById('shown').textContent = shown + ' of ' + rows.length + ' shown';
  }

  apply();
})();
)js";
}

std::string_view ReportContentSecurityPolicy() {
  return "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
         "img-src data:; base-uri 'none'; form-action 'none'";
}

}  // namespace trailsight::alerts
