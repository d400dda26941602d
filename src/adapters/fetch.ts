// Placeholder: filled in by the 0.2 work on this entry point.
export {};
