// attest console enhancements. Pages work without this file: charts fall
// back to their data tables and forms post normally. With it, charts are
// drawn by uPlot and uploads show their progress.
(function () {
  "use strict";

  var palette = {
    blue: "#0b57d0", orange: "#b35c00", purple: "#6e40c9",
    teal: "#00796b", red: "#c5221f", green: "#188038"
  };
  var plots = [];
  var height = 220;

  // A chart with one instant comes with its own x range; uPlot would
  // otherwise stretch that instant over years of empty axis.
  function xScale(c) {
    if (c.min == null || c.max == null) return { time: true };
    return { time: true, range: function () { return [c.min, c.max]; } };
  }

  function draw(root) {
    if (typeof uPlot === "undefined") return;
    var els = (root || document).querySelectorAll("[data-chart]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.dataset.drawn) continue;
      el.dataset.drawn = "1";
      var c;
      try { c = JSON.parse(el.dataset.chart); } catch (e) { continue; }
      var series = [{}];
      var data = [c.x];
      c.series.forEach(function (s) {
        var opt = { label: s.label, stroke: palette[s.tone] || "#57606a", width: 2 };
        if (s.dash) opt.dash = [6, 4];
        if (c.kind === "step") opt.paths = uPlot.paths.stepped({ align: 1 });
        series.push(opt);
        data.push(s.values);
      });
      var opts = {
        width: Math.max(el.clientWidth, 200),
        height: height,
        series: series,
        scales: { x: xScale(c) },
        axes: [{}, c.kind === "step"
          ? { label: c.unit || "", size: 60, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] }
          : { label: c.unit || "", size: 60 }],
        legend: { live: false }
      };
      plots.push({ el: el, u: new uPlot(opts, data, el) });
    }
  }

  var pending = 0;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      plots = plots.filter(function (p) {
        if (!document.body.contains(p.el)) { p.u.destroy(); return false; }
        p.u.setSize({ width: Math.max(p.el.clientWidth, 200), height: height });
        return true;
      });
    }, 150);
  });

  // On a phone the navigation scrolls sideways; keep the current page's
  // entry in view.
  function showCurrent() {
    var cur = document.querySelector(".side nav [aria-current]");
    if (cur && cur.scrollIntoView) cur.scrollIntoView({ block: "nearest", inline: "center" });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); showCurrent(); });
  document.addEventListener("htmx:load", function (e) {
    draw(e.detail.elt);
    if (e.detail.elt === document.body) showCurrent();
  });

  // Upload progress: htmx reports the bytes sent for forms that name a
  // <progress> element in data-progress.
  document.addEventListener("htmx:xhr:progress", function (e) {
    var form = e.target && e.target.closest ? e.target.closest("form[data-progress]") : null;
    if (!form || !e.detail.lengthComputable) return;
    var bar = document.getElementById(form.dataset.progress);
    if (!bar) return;
    var pct = Math.round(e.detail.loaded * 100 / e.detail.total);
    bar.hidden = false;
    bar.value = pct;
    bar.textContent = pct + "%";
    var status = document.getElementById("upload-status");
    if (status) status.textContent = pct < 100 ? "Uploading: " + pct + "%" : "Uploaded; reviewing the documents…";
  });
})();
