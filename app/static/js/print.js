// 打印凭条 on the desk's slip (app/templates/console/slip.html): the browser's own print,
// on an A5 page (site.css, @media print).
document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
