// The print button of the printable pages (receipt, audit report, transfer letter).
(function () {
  'use strict';
  const button = document.getElementById('print-button');
  if (button) button.addEventListener('click', () => window.print());
})();
