/* Loaded on pages with explorers, after require.js and before the ipywidgets HTML manager
 * (embed-amd.js); added by _ext/offline_js.py.
 *
 * 1. The manager finds its own files (the Font Awesome fonts of its icons) relative to the
 *    URL that require.js gives its module. Without this mapping that URL is
 *    <page folder>/@jupyter-widgets/html-manager/dist/, where nothing exists. The script tag's
 *    data-html-manager-dist says where the manager really is (relative to this file).
 * 2. ipywidgets typesets widget labels with MathJax 2's API, MathJax.Hub.Queue, whenever
 *    window.MathJax exists; the book uses MathJax 3, which has no Hub, so every label threw
 *    "Cannot read properties of undefined (reading 'Queue')". Give MathJax 3 that one call.
 */
(function () {
  var script = document.currentScript;
  var dist = script && script.getAttribute('data-html-manager-dist');
  if (dist && window.require && window.require.config) {
    window.require.config({paths: {
      '@jupyter-widgets/html-manager/dist': new URL(dist, script.src).href.replace(/\/$/, '')
    }});
  }

  var hub = {
    Queue: function (job) {
      var element = Array.isArray(job) ? job[2] : null;
      var mathjax = current;
      if (element && mathjax && mathjax.startup && mathjax.startup.promise && mathjax.typesetPromise) {
        mathjax.startup.promise.then(function () { return mathjax.typesetPromise([element]); });
      }
      // Before MathJax 3 has started, its first pass typesets the whole page anyway.
    }
  };
  var current = window.MathJax;
  if (current && !current.Hub) { current.Hub = hub; }
  // MathJax 3 replaces window.MathJax (the configuration) by its own object when it loads.
  Object.defineProperty(window, 'MathJax', {
    configurable: true,
    get: function () { return current; },
    set: function (value) {
      current = value;
      if (value && typeof value === 'object' && !value.Hub) { value.Hub = hub; }
    }
  });
})();
