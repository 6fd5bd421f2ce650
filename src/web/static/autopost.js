// Submits the form that carries a message back to the platform (deep-linking response).
document.getElementById("autopost").submit();
