// cargo-shuffle HTML report: hover and click details on the timeline, copy buttons, opening
// the failure a link points at. Text reaches the page only through textContent.
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  var data = JSON.parse(document.getElementById('data').textContent);
  var svg = document.getElementById('timeline');
  var tip = document.getElementById('tip');
  var pinned = document.getElementById('pinned');
  function ms(v) { return v < 1000 ? v.toFixed(1) + ' ms' : (v / 1000).toFixed(2) + ' s'; }
  function lines(i) {
    var t = data.tests[i];
    var group = data.groups[t[9]];
    return [
      data.bins[t[0]] + ' ' + t[1],
      data.outcomes[t[2]] + ' \u00b7 ' + ms(t[6]) + (t[11] ? ' \u00b7 SLOW (longer than its slow-timeout)' : ''),
      'shard ' + t[3] + (data.unshuffled[t[9]] === t[3] ? ' (not shuffled: name order)' : '') +
        ', position ' + t[4] + (t[5] ? ', worker ' + t[5] : ''),
      'ran ' + ms(t[7]) + ' \u2013 ' + ms(t[8]) + (group ? ' \u00b7 ' + group : '')
    ];
  }
  function fill(el, i) {
    el.textContent = '';
    lines(i).forEach(function (l, k) {
      var d = document.createElement(k ? 'div' : 'strong');
      d.textContent = l;
      el.appendChild(d);
    });
  }
  // The test under the pointer: a failing bar names itself; elsewhere in a lane, the bar
  // whose time span is nearest the pointer's time (within 3 units).
  function at(ev) {
    var t = ev.target;
    if (t.hasAttribute && t.hasAttribute('data-t')) return +t.getAttribute('data-t');
    var lane = t.closest ? t.closest('.lane') : null;
    if (!lane) return -1;
    var ids = data.lanes[+lane.getAttribute('data-lane')];
    var pt = svg.createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    var p = pt.matrixTransform(svg.getScreenCTM().inverse());
    var when = (p.x - data.x0) / data.width * data.span_ms;
    var tol = 3 / data.width * data.span_ms;
    var lo = 0, hi = ids.length - 1, best = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (data.tests[ids[mid]][7] <= when) { best = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    var pick = -1, dist = tol;
    [best, best + 1].forEach(function (k) {
      if (k < 0 || k >= ids.length) return;
      var b = data.tests[ids[k]];
      var d = when < b[7] ? b[7] - when : (when > b[8] ? when - b[8] : 0);
      if (d <= dist) { dist = d; pick = ids[k]; }
    });
    return pick;
  }
  if (svg) {
    svg.addEventListener('mousemove', function (ev) {
      var i = at(ev);
      if (i < 0) { tip.hidden = true; return; }
      fill(tip, i);
      tip.hidden = false;
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 360) + 'px';
      tip.style.top = (ev.clientY + 14) + 'px';
    });
    svg.addEventListener('mouseleave', function () { tip.hidden = true; });
    // Click: the test pinned under the timeline; a failing one with its message and output
    // (copies of the escaped nodes of its entry below, so nothing is parsed again as markup).
    svg.addEventListener('click', function (ev) {
      var i = at(ev);
      if (i < 0) return;
      ev.preventDefault();
      fill(pinned, i);
      var out = document.getElementById('t' + i);
      if (out) {
        Array.prototype.forEach.call(out.querySelectorAll('.msg, pre'), function (n) {
          pinned.appendChild(n.cloneNode(true));
        });
        var a = document.createElement('a');
        a.href = '#t' + i;
        a.textContent = 'its entry under Failing tests';
        pinned.appendChild(a);
      }
      pinned.hidden = false;
    });
  }
  function openTarget() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    var el = id && document.getElementById(id);
    if (el && el.tagName === 'DETAILS') el.open = true;
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
  function copied(btn) {
    btn.textContent = 'copied';
    setTimeout(function () { btn.textContent = 'copy'; }, 1500);
  }
  function fallback(text, btn) {
    var ta = document.createElement('textarea');
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    try { document.execCommand('copy'); copied(btn); } catch (e) { btn.textContent = 'select and copy'; }
    document.body.removeChild(ta);
  }
  Array.prototype.forEach.call(document.querySelectorAll('button.copy'), function (btn) {
    btn.addEventListener('click', function () {
      var text = btn.previousElementSibling.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(btn); }, function () { fallback(text, btn); });
      } else {
        fallback(text, btn);
      }
    });
  });
  window.__shuffleReady = true;
})();
