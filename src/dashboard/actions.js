// The dashboard's forms and buttons: sign in and out, search, copy the case id, cancel, answer, create. Each calls
// the API and hands the result back to the views through `app` (see app.js), so this file holds no view state.
/* global document, navigator, window, URLSearchParams */
import { gql, QUERIES } from './api.js';
import { fieldErrorsOf, readCreateForm, resetCreateForm, showFieldErrors } from './create.js';
import { $ } from './dom.js';

/** `app`: { state, connect, signOut, navigate, loadDetail, notify, showError } from app.js. */
export function wireActions(app) {
  const { state, connect, signOut, navigate, loadDetail, notify, showError } = app;
  $('#key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    showError(null);
    connect($('#api-key').value.trim());
  });
  $('#sign-out').addEventListener('click', () => {
    showError(null);
    signOut();
    notify('Signed out. The key was removed from this browser.');
    $('#api-key').focus();
  });
  $('#search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    if (state.route.status) params.set('status', state.route.status);
    const q = $('#search').value.trim();
    if (q) params.set('q', q);
    void navigate(params.size ? `/?${params}` : '/');
  });
  $('#copy-id').addEventListener('click', async () => {
    const id = state.route.id;
    try {
      await navigator.clipboard.writeText(id);
      notify('Case id copied.');
    } catch {
      // No clipboard permission (an http page off localhost): select the id so Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents($('#case-id'));
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      notify('Press Ctrl+C to copy the selected case id.');
    }
  });
  $('#cancel-open').addEventListener('click', () => {
    $('#cancel-form').hidden = false;
    $('#cancel-reason').focus();
  });
  $('#cancel-abort').addEventListener('click', () => {
    $('#cancel-form').hidden = true;
    $('#cancel-open').focus();
  });
  $('#cancel-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const reason = $('#cancel-reason').value.trim();
      await gql(state.key, QUERIES.cancelCase, { id: state.route.id, reason: reason || null });
      $('#cancel-form').hidden = true;
      $('#cancel-reason').value = '';
      notify('Case cancelled.');
      await loadDetail();
    } catch (error) {
      showError(error);
    }
  });
  $('#input-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    try {
      await gql(state.key, QUERIES.submitInput, {
        input: {
          caseId: state.route.id,
          inputRequestId: form.dataset.requestId,
          providedContext: $('#input-answer').value,
        },
      });
      $('#input-sent').hidden = false;
      await loadDetail();
    } catch (error) {
      showError(error);
    }
  });
  $('#create-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    try {
      const input = readCreateForm(state.features.scheduling);
      showFieldErrors([]);
      const { createCase } = await gql(state.key, QUERIES.createCase, {
        input,
        idempotencyKey: form.dataset.idempotencyKey,
      });
      resetCreateForm();
      notify('Case created.');
      void navigate(`/case/${encodeURIComponent(createCase.id)}`);
    } catch (error) {
      if (error.authFailed) return showError(error);
      showFieldErrors(fieldErrorsOf(error));
    }
  });
}
