// Dot votes: show how many points are left as the member types. The budget itself is checked
// by the server (422 naming it), so this is only a convenience; the form works without it.

for (const fieldset of document.querySelectorAll("fieldset[data-budget]")) {
  const budget = Number(fieldset.dataset.budget);
  const output = fieldset.querySelector("output.dots-left");
  const inputs = [...fieldset.querySelectorAll("input[data-dots]")];
  if (!output || !Number.isFinite(budget) || inputs.length === 0) continue;

  const update = () => {
    const spent = inputs.reduce((sum, input) => sum + (Number.parseInt(input.value, 10) || 0), 0);
    const left = budget - spent;
    output.textContent = left >= 0
      ? `${left} of ${budget} points left.`
      : `${-left} points over the budget of ${budget}.`;
    output.classList.toggle("error-text", left < 0);
  };
  fieldset.addEventListener("input", update);
  output.hidden = false;
  update();
}
