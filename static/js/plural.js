// "1 record", "2 records": a count in words, for the status line and the sign-out warning.
export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
