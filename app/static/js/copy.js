// 复制 beside a calendar address (app/templates/partials/feed_links.html): shown only
// where the browser can copy; elsewhere the address stays selectable by hand.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = button.closest(".feed-links").querySelector("input.copy");
  if (!navigator.clipboard || !field) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = button.getAttribute("data-done");
    }, function () {
      field.select();
    });
  });
});
