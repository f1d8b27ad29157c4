// The recovery page: Stripe.js completes the bank's authentication (3-D Secure) of the payment the
// worker could not finish off-session, then the form is sent and the server asks Stripe itself.
// Another card is saved by pledge.js's card field (the same as on the pledge page).
(function () {
  var form = document.getElementById('authenticate-form');
  if (!form || typeof Stripe === 'undefined') {
    return;
  }
  var data = form.dataset;
  var stripe = Stripe(data.publishableKey);
  var message = document.getElementById('authenticate-message');
  var button = document.getElementById('authenticate');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    button.disabled = true;
    message.textContent = data.working;
    var options = data.paymentMethod ? { payment_method: data.paymentMethod } : undefined;
    stripe.confirmCardPayment(data.clientSecret, options).then(function (result) {
      if (result.error) {
        message.textContent = result.error.message || data.failed;
        button.disabled = false;
        return;
      }
      form.submit();
    });
  });
})();
