/* The presentation and the handout (secondment/templates/deck.html.j2), and the cockpit's refresh
   (cockpit.html.j2). Served by the app itself; the pages allow no other script (Content-Security-Policy). */
(function () {
  "use strict";
  var body = document.body;
  var mode = body.dataset.mode;

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  /* Plotly's sizes follow the slide: every font size in a figure is scaled by the slide's unit. */
  function scaleFonts(node, factor) {
    if (Array.isArray(node)) { node.forEach(function (n) { scaleFonts(n, factor); }); return; }
    if (!node || typeof node !== "object") return;
    Object.keys(node).forEach(function (key) {
      var value = node[key];
      if (/font$/i.test(key) && value && typeof value === "object" && !Array.isArray(value)) {
        value.size = Math.round((typeof value.size === "number" ? value.size : 12) * factor);
      }
      scaleFonts(value, factor);
    });
  }

  function unit() {
    /* a hundredth of the slide's height, in pixels */
    var slide = document.querySelector(".slide.current") || document.querySelector(".slide");
    return slide ? slide.clientHeight / 100 : window.innerHeight / 100;
  }

  var figures = json("figures") || {};
  var config = json("plotly-config") || {};
  var drawn = {};

  function draw(slide) {
    if (!window.Plotly) return;
    var u = unit();
    slide.querySelectorAll("[data-fig]").forEach(function (el) {
      var id = el.dataset.fig;
      if (drawn[id] === u) return;
      var fig = JSON.parse(JSON.stringify(figures[id]));
      var factor = (u * 2.2) / 12;   /* a base font of 2.2 units */
      fig.layout.font = fig.layout.font || {};
      scaleFonts(fig.layout, factor);
      fig.data.forEach(function (trace) { scaleFonts(trace, factor); });
      var m = fig.layout.margin || {};
      fig.layout.margin = {l: (m.l || 10) * factor, r: (m.r || 10) * factor, b: (m.b || 10) * factor,
                           t: (m.t || 36) * factor, pad: 4};
      if (fig.layout.title) { fig.layout.title.pad = {t: 0}; fig.layout.title.y = 0.98; }
      Object.keys(fig.layout).forEach(function (key) {   /* room for every axis's labels */
        if (/^[xy]axis\d*$/.test(key)) fig.layout[key].automargin = true;
      });
      window.Plotly.newPlot(el, fig.data, fig.layout, config);
      drawn[id] = u;
    });
  }

  if (mode === "handout") {
    document.querySelectorAll(".slide").forEach(draw);
    var print = document.getElementById("print");
    if (print) print.addEventListener("click", function () { window.print(); });
    return;
  }

  if (mode === "present") {
    var slides = Array.prototype.slice.call(document.querySelectorAll(".slide"));
    var counter = document.getElementById("counter");
    var autoButton = document.getElementById("auto");
    var texts = json("texts") || {};
    var at = Math.min(Math.max(parseInt(body.dataset.start, 10) || 1, 1), slides.length) - 1;
    var auto = parseInt(body.dataset.auto, 10) || 0;
    var timer = null;

    function show(i) {
      if (!slides.length) return;
      at = (i + slides.length) % slides.length;
      slides.forEach(function (s, n) { s.classList.toggle("current", n === at); });
      counter.textContent = (at + 1) + " / " + slides.length;
      body.dataset.slide = String(at + 1);
      var url = new URL(window.location.href);
      url.searchParams.set("slide", String(at + 1));
      window.history.replaceState(null, "", url.toString());
      draw(slides[at]);
      restart();
    }
    function restart() {
      if (timer) { clearInterval(timer); timer = null; }
      if (auto > 0) timer = setInterval(function () { show(at + 1); }, auto * 1000);
      autoButton.setAttribute("aria-pressed", auto > 0 ? "true" : "false");
      autoButton.textContent = auto > 0 ? texts.auto_on.replace("{n}", String(auto)) : texts.auto;
      body.dataset.auto = String(auto);
    }
    function toggleAuto() {
      auto = auto > 0 ? 0 : (parseInt(body.dataset.interval, 10) || 12);
      var url = new URL(window.location.href);
      if (auto) url.searchParams.set("auto", String(auto)); else url.searchParams.delete("auto");
      window.history.replaceState(null, "", url.toString());
      restart();
    }
    function fullScreen() {
      if (document.fullscreenElement) document.exitFullscreen();
      else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(function () {});
    }
    function leave() { window.location.href = body.dataset.leave || "/"; }
    body.dataset.interval = String(auto || 12);

    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      switch (e.key) {
        case "ArrowRight": case "ArrowDown": case "PageDown": case " ": case "Enter": show(at + 1); break;
        case "ArrowLeft": case "ArrowUp": case "PageUp": case "Backspace": show(at - 1); break;
        case "Home": show(0); break;
        case "End": show(slides.length - 1); break;
        case "Escape": if (!document.fullscreenElement) leave(); break;
        case "f": case "F": fullScreen(); break;
        case "p": case "P": toggleAuto(); break;
        default: return;
      }
      e.preventDefault();
    });
    document.addEventListener("click", function (e) {
      var button = e.target.closest("[data-go]");
      if (button) {
        var go = button.dataset.go;
        if (go === "prev") show(at - 1);
        else if (go === "next") show(at + 1);
        else if (go === "auto") toggleAuto();
        else if (go === "full") fullScreen();
        else if (go === "leave") leave();
        return;
      }
      if (e.target.closest("a")) return;
      show(at + 1);   /* click anywhere on the slide: the next one */
    });
    /* The controls show while the pointer moves, and fade after it rests. */
    var rest = null;
    document.addEventListener("mousemove", function () {
      body.classList.add("pointer");
      clearTimeout(rest);
      rest = setTimeout(function () { body.classList.remove("pointer"); }, 2500);
    });
    var help = document.getElementById("help");
    setTimeout(function () { if (help) help.classList.add("gone"); }, 4000);
    var resizing = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizing);
      resizing = setTimeout(function () { draw(slides[at]); }, 150);
    });
    show(at);
    return;
  }

  if (mode === "cockpit") {
    var every = Math.max(2, parseInt(body.dataset.refresh, 10) || 60) * 1000;
    var clock = document.getElementById("clock");
    function tick() {
      var now = new Date();
      if (clock) clock.textContent = now.toLocaleTimeString(document.documentElement.lang, {hour12: false, timeZone: "Asia/Shanghai"});
    }
    setInterval(tick, 1000);
    tick();
    function refresh() {
      var url = new URL(window.location.href);
      url.searchParams.set("part", "board");
      fetch(url.toString(), {credentials: "same-origin", cache: "no-store", redirect: "error"})
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
        .then(function (html) {
          /* the server's own, escaped rendering of the board */
          document.getElementById("board").outerHTML = html;
          body.classList.remove("stale");
          body.dataset.refreshed = String((parseInt(body.dataset.refreshed, 10) || 0) + 1);
        })
        .catch(function () { body.classList.add("stale"); });
    }
    setInterval(refresh, every);
  }
})();
