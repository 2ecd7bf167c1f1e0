// WAI-ARIA tabs: one tab stop (roving tabindex), arrow keys / Home / End move and select.
import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';

export interface TabDef<K extends string> {
  key: K;
  label: string;
  badge?: number;
  /** Badge colour by severity: red needs the user, amber retries by itself; default is the busy blue. */
  tone?: 'needs-you' | 'retrying' | 'info';
}

export function Tabs<K extends string>(props: {
  tabs: TabDef<K>[];
  selected: K;
  onSelect: (k: K) => void;
  label: string;
}) {
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const keys = props.tabs.map((t) => t.key);
  const move = (to: K) => {
    props.onSelect(to);
    refs.current[to]?.focus();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const i = keys.indexOf(props.selected);
    let next: K | undefined;
    if (e.key === 'ArrowRight') next = keys[(i + 1) % keys.length];
    else if (e.key === 'ArrowLeft') next = keys[(i - 1 + keys.length) % keys.length];
    else if (e.key === 'Home') next = keys[0];
    else if (e.key === 'End') next = keys[keys.length - 1];
    if (next !== undefined) {
      e.preventDefault();
      move(next);
    }
  };
  return (
    <div role="tablist" aria-label={props.label} class="tabs" onKeyDown={onKeyDown}>
      {props.tabs.map((t) => {
        const sel = t.key === props.selected;
        return (
          <button
            key={t.key}
            ref={(el) => {
              refs.current[t.key] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${t.key}`}
            aria-selected={sel}
            aria-controls={`panel-${t.key}`}
            tabIndex={sel ? 0 : -1}
            class="tab"
            onClick={() => props.onSelect(t.key)}
          >
            {t.label}
            {t.badge ? (
              <>
                {' '}
                <span class={`badge${t.tone ? ` badge-${t.tone}` : ''}`}>{t.badge}</span>
              </>
            ) : null}
          </button>
        );
      })}
    </div>
  );
}

export function TabPanel(props: { id: string; children: ComponentChildren }) {
  return (
    <section role="tabpanel" id={`panel-${props.id}`} aria-labelledby={`tab-${props.id}`} tabIndex={0} class="panel">
      {props.children}
    </section>
  );
}
