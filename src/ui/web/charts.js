/* Vega-Lite specs of the dashboard and their rendering (vega + vega-lite, served from the package). */
'use strict';

const Charts = (() => {
  let theme = {};
  const views = new WeakMap();

  function setTheme(t) {
    theme = t || {};
  }

  /** Renders (or re-renders) a Vega-Lite spec into el as SVG; el.dataset.points counts the data rows. */
  async function render(el, spec, points) {
    const old = views.get(el);
    if (old) old.finalize();
    const full = Object.assign({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json' }, spec, {
      config: Object.assign({}, theme, spec.config || {}),
    });
    const compiled = vegaLite.compile(full).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'svg', container: el, hover: true });
    views.set(el, view);
    await view.runAsync();
    if (points !== undefined) el.dataset.points = String(points);
    el.dataset.rendered = String(Number(el.dataset.rendered || 0) + 1);
    return view;
  }

  /** Long rows {metric, x, value, series?, run?} -> small multiples, one panel per metric. */
  function curves(rows, opts) {
    const o = opts || {};
    const encoding = {
      x: { field: 'x', type: 'quantitative', title: o.xTitle || 'epoch', scale: { zero: false } },
      y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
      tooltip: [{ field: 'metric' }, { field: 'x', title: o.xTitle || 'epoch' }, { field: 'value', format: '.4~g' }],
    };
    if (o.color) {
      encoding.color = { field: o.color, type: 'nominal', title: null, sort: o.colorOrder || 'ascending' };
      encoding.tooltip.unshift({ field: o.color });
    }
    if (o.dash) encoding.strokeDash = { field: o.dash, type: 'nominal', title: null };
    const metrics = [...new Set(rows.map((r) => r.metric))];
    return {
      data: { values: rows },
      facet: {
        field: 'metric',
        type: 'nominal',
        title: null,
        sort: metrics,
        header: { labelFontWeight: 600, labelFontSize: 12 },
      },
      columns: o.columns || 3,
      spec: {
        width: o.width || 300,
        height: o.height || 170,
        mark: { type: 'line', point: rows.length < 400 ? { size: 18 } : false },
        encoding,
      },
      resolve: { scale: { y: 'independent' } },
    };
  }

  function bestSoFar(rows, metric, mode) {
    return {
      title: { text: 'Best so far', subtitle: `${metric} (${mode}) against time` },
      data: { values: rows },
      width: 560,
      height: 240,
      mark: { type: 'line', interpolate: 'step-after', point: true },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds since start' },
        y: { field: 'best', type: 'quantitative', title: metric, scale: { zero: false } },
        color: { field: 'segment', type: 'nominal', title: null },
        tooltip: [{ field: 'segment' }, { field: 't', format: '.1f' }, { field: 'best', format: '.4~g' }],
      },
    };
  }

  function tuneCurves(rows, budgets, metric, xTitle) {
    return {
      title: { text: 'Learning curves', subtitle: 'dashed: rung budgets (where ASHA cuts or promotes)' },
      width: 560,
      height: 260,
      layer: [
        {
          data: { values: rows },
          mark: { type: 'line', point: rows.length < 300 },
          encoding: {
            x: { field: 'epoch', type: 'quantitative', title: xTitle },
            y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
            color: { field: 'config', type: 'nominal', legend: null },
            tooltip: [{ field: 'config' }, { field: 'epoch' }, { field: 'value', format: '.4~g' }],
          },
        },
        {
          data: { values: budgets.map((b) => ({ budget: b })) },
          mark: { type: 'rule', strokeDash: [4, 4], color: '#999' },
          encoding: { x: { field: 'budget', type: 'quantitative' } },
        },
      ],
    };
  }

  /** rows: {config, axis, scaled, label, metric} with scaled in [0, 1]. */
  function parallel(rows, axes, metric) {
    return {
      title: { text: 'Parallel coordinates', subtitle: `each line a configuration, coloured by ${metric}` },
      width: Math.max(360, 190 * axes.length),
      height: 260,
      layer: [
        {
          data: { values: axes.map((a) => ({ axis: a })) },
          mark: { type: 'rule', color: '#bbb' },
          encoding: { x: { field: 'axis', type: 'nominal', sort: axes } },
        },
        {
          data: { values: rows },
          mark: { type: 'line', opacity: 0.75 },
          encoding: {
            x: {
              field: 'axis',
              type: 'nominal',
              sort: axes,
              title: null,
              axis: { labelAngle: 0, labelLimit: 160, orient: 'top' },
            },
            y: { field: 'scaled', type: 'quantitative', axis: null, scale: { domain: [0, 1] } },
            detail: { field: 'config', type: 'nominal' },
            color: { field: 'metric', type: 'quantitative', title: metric, scale: { scheme: 'viridis' } },
            tooltip: [{ field: 'config' }, { field: 'axis' }, { field: 'label', title: 'value' }],
          },
        },
        {
          data: { values: rows.filter((r) => r.tick) },
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#555' },
          encoding: {
            x: { field: 'axis', type: 'nominal', sort: axes },
            y: { field: 'scaled', type: 'quantitative' },
            text: { field: 'label' },
          },
        },
      ],
    };
  }

  function timeline(rows) {
    return {
      title: { text: 'Timeline', subtitle: 'stage start to end, coloured by state' },
      data: { values: rows },
      width: 640,
      height: { step: 18 },
      mark: { type: 'bar', cornerRadius: 2 },
      encoding: {
        y: { field: 'stage', type: 'nominal', title: null, sort: null },
        x: { field: 'start', type: 'temporal', title: null },
        x2: { field: 'end' },
        color: { field: 'state', type: 'nominal', title: null },
        tooltip: [
          { field: 'stage' },
          { field: 'state' },
          { field: 'start', type: 'temporal', format: '%H:%M:%S' },
          { field: 'seconds', format: '.1f' },
        ],
      },
    };
  }

  /** rows: {worker, replica, round, attempts, start, end} with times in ms since the epoch. */
  function workerTimeline(rows, label) {
    return {
      title: {
        text: `Worker timeline (${label})`,
        subtitle: 'one bar per replica job, by the worker that ran it; colour: replica',
      },
      data: { values: rows },
      width: 640,
      height: { step: 22 },
      mark: { type: 'bar', cornerRadius: 2, opacity: 0.85 },
      encoding: {
        y: { field: 'worker', type: 'nominal', title: null },
        x: { field: 'start', type: 'temporal', title: null },
        x2: { field: 'end' },
        color: { field: 'replica', type: 'nominal', title: 'replica' },
        tooltip: [
          { field: 'worker' },
          { field: 'replica' },
          { field: 'round' },
          { field: 'attempts' },
          { field: 'seconds', format: '.2f' },
        ],
      },
    };
  }

  return { setTheme, render, curves, bestSoFar, tuneCurves, parallel, timeline, workerTimeline };
})();
