// The package ships types but its "exports" map does not point at them.
declare module 'dom-accessibility-api' {
  export function computeAccessibleName(root: Element): string;
}
