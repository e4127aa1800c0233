/* global window, document, SwaggerUIBundle */
// Swagger UI over this service's own openapi.yaml. Served from the service's files only: no
// validator badge (it would call validator.swagger.io) and no other outside request. Deep links
// are off because Swagger UI puts their anchors inside the operation's toggle button, a control
// nested in a control that screen readers cannot reach.
window.ui = SwaggerUIBundle({
  url: '/docs/openapi.yaml',
  dom_id: '#swagger-ui',
  deepLinking: false,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  onComplete() {
    // Swagger UI renders the servers list without a label.
    document.getElementById('servers')?.setAttribute('aria-label', 'Server');
  },
});
