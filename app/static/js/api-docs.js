// Starts Swagger UI on /api/docs. A file of our own, because the site's
// Content-Security-Policy allows no inline script.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // no badge fetched from swagger.io
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
