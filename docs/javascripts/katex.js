// Render the formulas that pymdownx.arithmatex (generic mode) wraps in `.arithmatex`
// elements, with the KaTeX copy served from this site (javascripts/vendor/katex/).
// `document$` is Material's page observable: it also fires after instant navigation.
function renderFormulas(root) {
  for (const element of root.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
    });
  }
}

if (typeof document$ !== "undefined") {
  document$.subscribe(({ body }) => renderFormulas(body));
} else {
  document.addEventListener("DOMContentLoaded", () => renderFormulas(document.body));
}
