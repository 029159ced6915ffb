// The five phase toggles of a solution. Each toggle is one PUT of that phase's explicit state;
// it is sent without If-Match on purpose: setting one phase to a value the user can see cannot
// overwrite anyone else's edit of another field or phase.

import { h, uid } from './dom.js';

export const PHASES = Object.freeze(['discovery', 'design', 'build', 'test', 'deploy']);

const title = (p) => p[0].toUpperCase() + p.slice(1);

export function phaseToggles(ctx) {
  return (card) => {
    const inputs = {};
    const legendId = uid('phases');
    const el = h(
      'fieldset',
      { class: 'phases', 'aria-describedby': legendId },
      h('legend', { id: legendId, text: 'Phases' }),
      PHASES.map((phase) => {
        const id = uid(`phase-${phase}`);
        const input = h('input', { type: 'checkbox', id, name: phase, dataset: { phase } });
        inputs[phase] = input;
        input.addEventListener('change', () => toggle(phase, input.checked));
        return h('label', { class: 'phase', for: id }, input, h('span', { text: title(phase) }));
      }),
    );

    async function toggle(phase, enabled) {
      const input = inputs[phase];
      input.setAttribute('aria-busy', 'true');
      try {
        const row = await ctx.api.mutate(
          'PUT',
          `/api/solutions/${encodeURIComponent(card.row.id)}/phases/${phase}`,
          { enabled },
        );
        card.update(row, { own: true });
      } catch (err) {
        input.checked = !enabled;
        ctx.notices.show(`Could not change the ${phase} phase: ${err.message}`, { error: true });
      } finally {
        input.removeAttribute('aria-busy');
      }
    }

    return {
      el,
      update(row) {
        const enabled = new Map((row.phases ?? []).map((p) => [p.name, !!p.enabled]));
        for (const phase of PHASES) {
          const input = inputs[phase];
          if (input.hasAttribute('aria-busy')) continue; // our own request will settle it
          input.checked = enabled.get(phase) ?? false;
          input.setAttribute('aria-label', `${title(phase)} phase of solution “${row.name}”`);
        }
      },
    };
  };
}
