// Starts Swagger UI on /api/v1/docs. SwaggerUIBundle comes from vendor/swagger-ui/ (npm:
// swagger-ui-dist), loaded by the page just before this module; the settings live here, not in
// an inline script, because the Content-Security-Policy allows scripts from this server only.

const root = document.getElementById("swagger-ui");
const csrfToken = root.dataset.csrfToken;

window.SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  // One section per area, closed until opened: the page lists 140-odd operations.
  docExpansion: "none",
  // The badge would send the document to validator.swagger.io; nothing leaves this server.
  validatorUrl: null,
  // "Try it out" with the browser session: unsafe methods need the CSRF token (SessionAuth).
  requestInterceptor: (request) => {
    if (csrfToken) request.headers["X-CSRFToken"] = csrfToken;
    return request;
  },
});
