// The "File names" setting: the template that names recordings in the library (main/sync/library/names.ts, pure
// code the window shares with the engine, so the preview is exactly what the library will do).
import { DEFAULT_NAME_TEMPLATE, NAME_FIELDS, sampleName, templateProblem } from '../names.js';

export function FileNamesField(props: {
  id: string;
  template: string;
  uploadFormat: 'opus' | 'mp3';
  /** The error from the last Save, shown as an alert; while typing the problem is shown in the preview's place. */
  error?: string;
  onChange(template: string): void;
}) {
  const { id, template, uploadFormat, error } = props;
  // Checked on every keystroke: the preview must never show a name the library would not use (renderName falls
  // back to the default for an unusable template).
  const problem = templateProblem(template);
  const previewId = `${id}-preview`;
  const noteId = `${id}-note`;
  const describedBy = [error ? `${id}-error` : previewId, noteId].join(' ');
  return (
    <div class="field file-names">
      <label for={id}>File names</label>
      <div class="row">
        <input
          id={id}
          type="text"
          spellcheck={false}
          autoComplete="off"
          value={template}
          onInput={(e) => props.onChange(e.currentTarget.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={describedBy}
        />
        <button
          type="button"
          disabled={template === DEFAULT_NAME_TEMPLATE}
          onClick={() => props.onChange(DEFAULT_NAME_TEMPLATE)}
        >
          Reset to default
        </button>
      </div>
      {error ? (
        <p id={`${id}-error`} role="alert" class="field-error">
          {error}
        </p>
      ) : problem ? (
        <p id={previewId} class="field-error">
          {problem}
        </p>
      ) : (
        <p id={previewId} class="name-preview">
          For example: <span class="mono selectable">{sampleName(template, uploadFormat)}</span>
        </p>
      )}
      <p id={noteId} class="muted">
        Applies to recordings copied from now on; the ones already in the library are not renamed. The recorder's
        original files are kept too, in the library's hidden folder <span class="mono">.originals</span>.
      </p>
      <details class="help-disclosure">
        <summary>Fields you can use</summary>
        <dl class="name-fields">
          {NAME_FIELDS.map((f) => (
            <div key={f.field}>
              <dt class="mono">{f.field}</dt>
              <dd>{f.meaning}</dd>
            </div>
          ))}
        </dl>
        <p class="muted">
          Use / between folders. The default is <span class="mono">{DEFAULT_NAME_TEMPLATE}</span>; the file extension is
          added for you.
        </p>
      </details>
    </div>
  );
}
