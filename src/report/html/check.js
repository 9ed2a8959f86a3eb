// The page's self-check, for the browser test and for anyone who wonders whether the page
// works: counts the timeline's lanes, failing bars and finding arrows, checks that every
// failing bar's data (the tooltip's source) names the test its <title> names, hovers the
// longest bar of the first lane and checks the tooltip names its test, clicks the first failing
// bar and checks the pinned panel names it and shows its output, and counts the script errors
// window.onerror caught. The result goes into the data-check attribute of the body; what the
// hunt, merge, slow-test, unshuffled-shard and copy-button parts of the page show goes into
// data-dom (JSON).
(function () {
  'use strict';
  var q = function (s) { return document.querySelectorAll(s).length; };
  var errors = window.__errors;
  var bars = 'ok', hover = 'none', click = 'none';
  try {
    var d = JSON.parse(document.getElementById('data').textContent);
    var name = function (i) { return d.bins[d.tests[i][0]] + ' ' + d.tests[i][1]; };
    Array.prototype.forEach.call(document.querySelectorAll('#timeline .bar.fail'), function (b) {
      var i = +b.getAttribute('data-t');
      var title = b.querySelector('title').textContent;
      if (!d.tests[i] || d.outcomes[d.tests[i][2]] === 'passed' || title.indexOf(name(i) + ' \u2014 ') !== 0) bars = 'wrong';
    });
    var lane = document.querySelector('#timeline .lane');
    if (lane) {
      var ids = d.lanes[+lane.getAttribute('data-lane')];
      var best = ids[0];
      ids.forEach(function (i) { if (d.tests[i][8] - d.tests[i][7] > d.tests[best][8] - d.tests[best][7]) best = i; });
      var t = d.tests[best];
      var svg = document.getElementById('timeline');
      var pt = svg.createSVGPoint();
      pt.x = d.x0 + (t[7] + t[8]) / 2 / d.span_ms * d.width;
      pt.y = 0;
      var c = pt.matrixTransform(svg.getScreenCTM());
      lane.querySelector('.lane-bg').dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: c.x, clientY: c.y }));
      var tip = document.getElementById('tip');
      hover = !tip.hidden && tip.textContent.indexOf(name(best)) === 0 ? 'ok' : 'wrong';
      tip.hidden = true;
    }
    var fb = document.querySelector('#timeline .bar.fail');
    if (fb) {
      var k = +fb.getAttribute('data-t');
      fb.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
      var pin = document.getElementById('pinned');
      click = !pin.hidden && pin.textContent.indexOf(name(k)) === 0 &&
        (d.tests[k][10] === 0 || pin.querySelector('pre')) ? 'ok' : 'wrong';
      pin.hidden = true;
    }
  } catch (e) {
    errors.push('self-check: ' + e);
  }
  // What a reader sees, for the browser test to compare with the JSON reports: a hunt's rows
  // (run number, order kind) and its coverage sentence, a merge's partition cards (title,
  // missing or not) and missing timeline groups, a slow test's tooltip, the unshuffled shard,
  // what a click on a passing test with output pins, and what each copy button puts on the
  // clipboard when clicked (the clipboard and execCommand are stubbed for the click).
  var dom = { hunt: [], coverage: '', parts: [], missingGroups: q('#timeline .missing'), copies: [] };
  try {
    var txt = function (el) { return el ? el.textContent.replace(/\s+/g, ' ').trim() : ''; };
    Array.prototype.forEach.call(document.querySelectorAll('#hunt tbody tr'), function (tr) {
      dom.hunt.push([txt(tr.cells[0]), txt(tr.querySelector('.kind'))]);
    });
    dom.coverage = txt(document.querySelector('#hunt > p'));
    Array.prototype.forEach.call(document.querySelectorAll('#merge .part'), function (p) {
      dom.parts.push([txt(p.querySelector('h3')), p.classList.contains('missing')]);
    });
    // A slow test's outline, hovered: the tooltip names it and says SLOW.
    dom.slow = q('#timeline rect.slow');
    var sr = document.querySelector('#timeline rect.slow');
    if (sr) {
      var box = sr.getBoundingClientRect();
      sr.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: box.left + 1, clientY: box.top + 1 }));
      var tp = document.getElementById('tip');
      dom.slowTip = tp.hidden ? '' : tp.textContent;
      tp.hidden = true;
    }
    Array.prototype.forEach.call(document.querySelectorAll('header .facts > div'), function (f) {
      if (txt(f.querySelector('.k')) === 'not shuffled') dom.notShuffled = txt(f.querySelector('.v'));
    });
    dom.shardLabels = Array.prototype.map.call(document.querySelectorAll('#timeline .shard-label'), txt);
    // A click on a passing test whose output is on the page pins that output (the first five).
    dom.passClicks = [];
    d.tests.forEach(function (t, pi) {
      if (dom.passClicks.length >= 5 || !t[10] || d.outcomes[t[2]] !== 'passed' || !document.getElementById('t' + pi)) return;
      var li = d.lanes.findIndex(function (l) { return l.indexOf(pi) >= 0; });
      var pl = document.querySelector('#timeline .lane[data-lane="' + li + '"] .lane-bg');
      var tsvg = document.getElementById('timeline');
      var pp = tsvg.createSVGPoint();
      pp.x = d.x0 + (t[7] + t[8]) / 2 / d.span_ms * d.width;
      pp.y = 0;
      var pc = pp.matrixTransform(tsvg.getScreenCTM());
      pl.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, clientX: pc.x, clientY: pc.y }));
      var pn = document.getElementById('pinned');
      var pre = pn.querySelector('pre');
      dom.passClicks.push([name(pi), pn.hidden ? '' : txt(pn.querySelector('strong')), pre ? pre.textContent : '']);
      pn.hidden = true;
    });
    var got = [];
    var exec = document.execCommand;
    Object.defineProperty(navigator, 'clipboard', { configurable: true, get: function () {
      // A promise that never settles: the button is not relabelled 'copied' for the reader.
      return { writeText: function (t) { got.push(t); return new Promise(function () {}); } };
    } });
    document.execCommand = function (c) {
      if (c === 'copy') { got.push(document.activeElement ? document.activeElement.value : null); return true; }
      return exec.apply(document, arguments);
    };
    Array.prototype.forEach.call(document.querySelectorAll('button.copy'), function (b) {
      var before = got.length;
      b.click();
      b.textContent = 'copy';
      dom.copies.push(got.length === before + 1 ? got[before] : null);
    });
    delete navigator.clipboard;
    document.execCommand = exec;
    // Which way the buttons copied (the clipboard API needs a secure context, else the
    // execCommand fallback), and that the fallback left no textarea behind.
    dom.secure = window.isSecureContext;
    dom.leftovers = q('body > textarea');
  } catch (e) {
    errors.push('self-check (dom): ' + e);
  }
  document.body.setAttribute('data-dom', JSON.stringify(dom));
  document.body.setAttribute('data-check', 'lanes=' + q('#timeline .lane') + ' failing=' + q('#timeline .bar.fail') +
    ' arrows=' + q('#timeline .arrow') + ' bars=' + bars + ' hover=' + hover + ' click=' + click + ' errors=' + errors.length +
    ' script=' + (window.__shuffleReady ? 'ok' : 'missing'));
  if (errors.length) document.body.setAttribute('data-errors', errors.join(' | '));
})();
