import type { Child } from 'hono/jsx';

export function CsrfField(props: { csrf: string }) {
  return <input type="hidden" name="_csrf" value={props.csrf} />;
}

/** A message after a form: an error (role=alert, so screen readers announce it) or a confirmation. */
export function Notice(props: { error?: string; ok?: string }) {
  if (props.error) return <p class="notice error" role="alert">{props.error}</p>;
  if (props.ok) return <p class="notice ok" role="status">{props.ok}</p>;
  return null;
}

export function Field(props: {
  label: string;
  name: string;
  type?: string;
  value?: string;
  autocomplete?: string;
  required?: boolean;
  minlength?: number;
  maxlength?: number;
  hint?: Child;
  autofocus?: boolean;
  inputmode?: 'numeric' | 'text';
  pattern?: string;
}) {
  const id = `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        autocomplete={props.autocomplete}
        required={props.required ?? true}
        minlength={props.minlength}
        maxlength={props.maxlength}
        autofocus={props.autofocus}
        inputmode={props.inputmode}
        pattern={props.pattern}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      />
      {props.hint ? <small id={`${id}-hint`}>{props.hint}</small> : null}
    </div>
  );
}
