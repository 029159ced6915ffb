// CSV import and export controls for one list: an export link and an import dialog (file picker
// or drag-and-drop, upload progress, the server's per-line errors as a table). An import is all or
// nothing on the server; this tab skips its own refresh event (X-Client-Id), so it reloads itself.

import { h, uid } from './dom.js';

/** Uploads `file` as text/csv; resolves { status, body }. XMLHttpRequest for upload progress. */
function upload(url, file, clientId, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('X-Client-Id', clientId);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener('error', () => reject(new Error('the upload failed: network error')));
    xhr.send(file);
  });
}

function errorTable(details) {
  const rows = (details?.errors ?? []).map((e) =>
    h('tr', {}, h('td', { text: String(e.line) }), h('td', { text: e.column ?? '—' }), h('td', { text: e.message })),
  );
  const table = h(
    'table',
    { class: 'import-errors' },
    h('thead', {}, h('tr', {}, h('th', { text: 'Line' }), h('th', { text: 'Column' }), h('th', { text: 'Problem' }))),
    h('tbody', {}, ...rows),
  );
  const more = details?.omitted ? h('p', { class: 'muted', text: `and ${details.omitted} more` }) : null;
  return h('div', { class: 'import-errors-wrap' }, table, more);
}

function importDialog(ctx, kind, noun) {
  const titleId = uid('import');
  const input = h('input', { type: 'file', accept: '.csv,text/csv', name: 'file' });
  const drop = h('div', { class: 'drop-zone', text: 'or drop a .csv file here' });
  const progress = h('progress', { max: '1', value: '0', hidden: true });
  const result = h('div', { class: 'import-result', role: 'status', 'aria-live': 'polite' });
  const close = h('button', { type: 'button', text: 'Close' });
  const dialog = h(
    'dialog',
    { class: 'import-dialog', 'aria-labelledby': titleId },
    h('h2', { id: titleId, text: `Import ${noun}s from CSV` }),
    h('p', { class: 'muted', text: 'All or nothing: a file with any bad row changes nothing.' }),
    h('label', {}, 'CSV file ', input),
    drop,
    progress,
    result,
    h('div', { class: 'form-actions' }, close),
  );

  const send = async (file) => {
    if (!file) return;
    result.replaceChildren(h('p', { text: `Uploading ${file.name}…` }));
    progress.hidden = false;
    progress.value = 0;
    input.disabled = true;
    try {
      const { status, body } = await upload(`/api/import/${kind}`, file, ctx.api.clientId, (f) => {
        progress.value = f;
      });
      progress.value = 1;
      if (status === 200) {
        result.replaceChildren(
          h('p', { class: 'import-ok', text: `Imported ${file.name}: ${body.created} created, ${body.updated} updated.` }),
        );
        ctx.reload();
      } else {
        const message = body?.error?.message ?? `the server answered ${status}`;
        result.replaceChildren(
          h('p', { class: 'import-failed', text: `Not imported: ${message}` }),
          body?.error?.details?.errors ? errorTable(body.error.details) : null,
        );
      }
    } catch (err) {
      result.replaceChildren(h('p', { class: 'import-failed', text: `Not imported: ${err.message}` }));
    } finally {
      input.disabled = false;
      input.value = '';
    }
  };

  input.addEventListener('change', () => send(input.files[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    send(e.dataTransfer.files[0]);
  });
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  return dialog;
}

/** The controls for a list of `kind` (projects, solutions, subcomponents). */
export function csvControls(ctx, kind, noun) {
  const importButton = h('button', {
    type: 'button',
    text: 'Import CSV',
    on: {
      click: () => {
        const dialog = importDialog(ctx, kind, noun);
        document.body.append(dialog);
        dialog.showModal();
      },
    },
  });
  const exportLink = h('a', { class: 'button', href: `/api/export/${kind}.csv`, download: `${kind}.csv`, text: 'Export CSV' });
  return [importButton, exportLink];
}
