// Labelled inputs with an optional hint and error, wired for screen readers
// (aria-describedby, aria-invalid): one frame, for single-line and multi-line
// controls alike.

import { useId, type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes } from 'react';

interface ControlIds {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

interface FrameProps {
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  /** Renders the control with the ids and ARIA attributes the frame wires up. */
  control(ids: ControlIds): ReactNode;
}

/** The label, hint and error around one control. */
export function FieldFrame({ label, hint, error, control }: FrameProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {control({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={errorId} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'onChange'> {
  label: string;
  value: string;
  onChange(value: string): void;
  hint?: string;
  error?: string | undefined;
}

export function Field({ label, value, onChange, hint, error, ...input }: FieldProps) {
  return (
    <FieldFrame
      label={label}
      hint={hint}
      error={error}
      control={(ids) => <input {...input} {...ids} value={value} onChange={(event) => onChange(event.target.value)} />}
    />
  );
}

/** A required field for a path on this computer: no autocomplete or spell checking. */
export function PathField(props: FieldProps) {
  return <Field autoComplete="off" spellCheck={false} required {...props} />;
}

interface TextAreaFieldProps extends Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id' | 'onChange' | 'value'> {
  label: string;
  value: string;
  onChange(value: string): void;
  hint?: string;
  error?: string | undefined;
}

/** A multi-line field for code-like text (policy JSON, ignore rules): monospace, no spell checking. */
export function TextAreaField({ label, value, onChange, hint, error, className, ...textarea }: TextAreaFieldProps) {
  return (
    <FieldFrame
      label={label}
      hint={hint}
      error={error}
      control={(ids) => (
        <textarea
          spellCheck={false}
          autoComplete="off"
          {...textarea}
          {...ids}
          className={['code-input', className].filter(Boolean).join(' ')}
          value={value}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    />
  );
}
