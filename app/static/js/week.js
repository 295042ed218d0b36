// A venue's week (app/templates/console/venue_week.html) on a narrow screen: the grid
// opens at today's column, where the ＋, 发布 and 停诊 buttons are; earlier days are a
// swipe away. Without this script the grid opens at Monday, as on a wide screen.
(function () {
  var wrap = document.querySelector(".week-wrap");
  var today = wrap && wrap.querySelector("thead th.today");
  if (!today || wrap.scrollWidth <= wrap.clientWidth) return;
  var corner = wrap.querySelector("thead th");  // as wide as the row labels kept in view
  wrap.scrollLeft = today.offsetLeft - corner.offsetWidth;
})();
