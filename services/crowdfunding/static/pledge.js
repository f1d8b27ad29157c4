// The card field of the pledge page: Stripe.js's card Element, the one part of the site that
// needs JavaScript. The server made the SetupIntent; Stripe.js saves the card with it, then the
// form is sent, and the server asks Stripe itself whether the card is saved.
(function () {
  var form = document.getElementById('card-form');
  if (!form || typeof Stripe === 'undefined') {
    return;
  }
  var field = document.getElementById('card-element');
  var message = document.getElementById('card-message');
  var button = document.getElementById('save-card');
  var data = form.dataset;
  var stripe = Stripe(data.publishableKey);
  var card = stripe.elements().create('card');
  card.mount(field);

  // localstripe's stand-in for Stripe.js draws plain inputs in the page, named by placeholders
  // only: they get their labels here. The real Stripe.js draws its own, labelled, in its frame.
  var labels = {
    number: data.labelNumber, exp_month: data.labelExpMonth, exp_year: data.labelExpYear,
    cvc: data.labelCvc, postal_code: data.labelPostalCode
  };
  Array.prototype.forEach.call(field.querySelectorAll('input'), function (input) {
    var label = labels[input.getAttribute('placeholder')];
    if (label) {
      input.setAttribute('aria-label', label);
      input.setAttribute('autocomplete', 'off');
    }
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    button.disabled = true;
    message.textContent = data.saving;
    stripe.confirmCardSetup(data.clientSecret, { payment_method: { card: card } }).then(function (result) {
      if (result.error) {
        message.textContent = result.error.message || data.failed;
        button.disabled = false;
        return;
      }
      form.submit();
    });
  });
})();
