// Who may do what with a stream path. One place for the rules, used by the proxies, pages and hook.
// Roles: admin (everything), streamer (publish + watch), viewer (watch).
import type { User } from "../store/users.ts";

export function canWatch(user: User | null, _path: string): boolean {
  return !!user && !user.disabled;
}

export function canPublish(user: User | null, _path: string): boolean {
  return !!user && !user.disabled && (user.role === "admin" || user.role === "streamer");
}

export function isAdmin(user: User | null): boolean {
  return !!user && !user.disabled && user.role === "admin";
}
