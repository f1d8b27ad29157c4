// Starts Swagger UI on /docs. A file of ours rather than an inline script, so that the
// Content-Security-Policy can refuse every inline script.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-ui-container",
    // No badge fetched from validator.swagger.io: nothing leaves for another site.
    validatorUrl: null,
  });
});
