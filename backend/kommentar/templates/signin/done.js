// Hand the outcome to the widget that opened this window, at exactly the origin the server
// checked when the sign-in started, then close. With no opener (a provider's page cut the
// link), take it back to the page the sign-in started on, as the redirect fallback does.
const element = document.getElementById("outcome");
const outcome = element && JSON.parse(element.textContent);
if (outcome && window.opener) {
  window.opener.postMessage(outcome.message, outcome.origin);
  if (outcome.message.type !== "kommentar:sign-in-failed") window.close();
} else if (outcome && outcome.back) {
  location.replace(outcome.back);
}
