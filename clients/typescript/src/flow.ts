// A representative client flow, typed from /api/schema/ by openapi-typescript and openapi-fetch.
// CI compiles it with `tsc --strict` (no `any`, no casts), so a schema that loses a field, a
// header, a parameter or a status breaks the build. It is not run: tests/api/core/
// test_openapi_conformance.py checks the server's real answers against the same schema.
import createClient from "openapi-fetch";

import type { components, operations, paths } from "./schema";

type Schemas = components["schemas"];

// Compile-time checks: a header or field the schema leaves untyped comes out `unknown`.
type Known<T> = unknown extends T ? never : T;
type Ok<O extends keyof operations, S extends keyof operations[O]["responses"]> =
  operations[O]["responses"][S];
const totalCountIsTyped: Known<Ok<"movie_search_list", 200>["headers"]["X-Total-Count"]> = 0;
const retryAfterIsTyped: Known<Ok<"movie_retrieve", 503>["headers"]["Retry-After"]> = 5;
const setCookieIsTyped: Known<Ok<"token_create", 201>["headers"]["Set-Cookie"]> = "";
void [totalCountIsTyped, retryAfterIsTyped, setCookieIsTyped];

export interface FlowResult {
  profile: Schemas["ProfileOutput"];
  searchTotal: number;
  movie: Schemas["MovieDetailOutput"];
  comments: Schemas["CommentOutput"][];
}

function accessToken(response: Response): string {
  for (const cookie of response.headers.getSetCookie()) {
    const match = /^access_token=([^;]*)/.exec(cookie);
    if (match?.[1]) {
      return match[1];
    }
  }
  throw new Error("no access_token in Set-Cookie");
}

function totalCount(response: Response): number {
  const total = Number(response.headers.get("X-Total-Count"));
  if (!Number.isInteger(total)) {
    throw new Error("no X-Total-Count");
  }
  return total;
}

function fail(what: string, error: { message?: string } | Record<string, unknown>): never {
  throw new Error(`${what}: ${JSON.stringify(error)}`);
}

export async function flow(baseUrl: string): Promise<FlowResult> {
  const anonymous = createClient<paths>({ baseUrl });
  const signup = await anonymous.POST("/api/user/signup/", {
    body: {
      username: "zoë.client",
      email: "zoe@example.com",
      password: "a long and unusual passphrase",
      birth_date: "1990-04-01",
    },
  });
  if (signup.error) {
    fail("sign-up", signup.error);
  }
  const login = await anonymous.POST("/api/token/", {
    body: { username: "zoë.client", password: "a long and unusual passphrase" },
  });
  if (login.error) {
    const retryAfter = "retry_after" in login.error ? login.error.retry_after : undefined;
    if (typeof retryAfter === "number") {
      fail(`login throttled (retry after ${retryAfter} s)`, login.error);
    }
    fail("login", login.error);
  }
  const api = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${accessToken(login.response)}` },
  });

  const me = await api.GET("/api/user/profile/");
  if (me.error) {
    fail("profile", me.error);
  }
  const email: string | null = me.data.email;
  const isPrivate: boolean = me.data.is_private;
  await api.PATCH("/api/user/update/", { body: { bio: "", is_private: !isPrivate } });

  const page = await api.GET("/api/movie/search/", {
    params: { query: { title: "alien", limit: 10, offset: 10 } },
  });
  if (page.error) {
    fail("search", page.error);
  }
  const searchTotal = totalCount(page.response);
  const byPost = await api.POST("/api/movie/search/", {
    params: { query: { limit: 5 } },
    body: { title: "alien" },
  });
  const first = (byPost.data ?? page.data)[0];
  if (first === undefined) {
    throw new Error(`no results (${searchTotal} in all, ${email ?? "no email"})`);
  }
  const runtime: number | null = first.runtime;
  const adult: boolean = first.adult;

  const detail = await api.GET("/api/movie/{movie_id}/", {
    params: { path: { movie_id: first.id } },
  });
  if (detail.error) {
    fail(`movie ${first.id} (${runtime ?? "?"} min, adult: ${adult})`, detail.error);
  }
  const actorNames: string[] = detail.data.actors.map((actor) => actor.name);

  const rated = await api.POST("/api/movie/{movie_id}/rate/", {
    params: { path: { movie_id: first.id } },
    body: { rating: 4.5 },
  });
  if (rated.error) {
    fail("rate", rated.error);
  }
  const ratedAt: string = rated.data.data.timestamp;
  const commented = await api.POST("/api/movie/{movie_id}/comment/", {
    params: { path: { movie_id: first.id } },
    body: { body: `Rated at ${ratedAt}; with ${actorNames.join(", ")}.` },
  });
  if (commented.error) {
    fail("comment", commented.error);
  }
  const comments = await api.GET("/api/movie/{movie_id}/comments/", {
    params: { path: { movie_id: first.id }, query: { limit: 20 } },
  });
  if (comments.error) {
    fail("comments", comments.error);
  }
  await api.POST("/api/movie/{movie_id}/watch/", { params: { path: { movie_id: first.id } } });

  const found = await api.GET("/api/user/search/", { params: { query: { username: "bob" } } });
  const bob = found.data?.[0];
  if (bob !== undefined) {
    const sent = await api.POST("/api/send-friend-request/{to_user_id}/", {
      params: { path: { to_user_id: bob.id } },
    });
    if (sent.error) {
      const incoming: number | undefined =
        "incoming_request_id" in sent.error ? sent.error.incoming_request_id : undefined;
      if (incoming !== undefined) {
        await api.POST("/api/friend-requests/update/{request_id}/", {
          params: { path: { request_id: incoming } },
        });
      }
    }
    const friendsRated = await api.GET("/api/user/{user_id}/movies/rated/", {
      params: { path: { user_id: bob.id } },
    });
    if (friendsRated.response.status === 403 && friendsRated.error) {
      const notVisible: string | string[] | undefined = friendsRated.error.message;
      void notVisible;
    }
  }
  const pending = await api.GET("/api/friend-requests/incoming/");
  for (const request of pending.data ?? []) {
    const accepted: boolean = request.accepted;
    if (!accepted) {
      await api.DELETE("/api/friend-requests/update/{request_id}/", {
        params: { path: { request_id: request.id } },
      });
    }
  }

  // Part two: the home page's rows (each reason a tagged union), group picks, inbox, feed, blocks.
  const rows = await api.GET("/api/user/movies/lists/", { params: { query: { limit: 5 } } });
  if (rows.error) {
    fail("home rows", rows.error);
  }
  const reasons: string[] = [];
  for (const row of rows.data) {
    for (const pick of row.movies) {
      const reason = pick.reason;
      switch (reason.type) {
        case "model":
          reasons.push(reason.because.map((movie) => movie.title).join(", "));
          break;
        case "because_you_liked":
          reasons.push(reason.movie.title);
          break;
        case "friends":
          reasons.push(`${reason.count} friends: ${reason.friends.map((f) => f.username)}`);
          break;
        case "trending":
          reasons.push(`${reason.ratings} ratings`);
          break;
        case "popular":
          reasons.push(row.title);
          break;
      }
    }
  }
  const friends = await api.GET("/api/friends/");
  const friendIds: number[] = (friends.data ?? []).map((friend) => friend.id);
  if (friendIds.length > 0) {
    const night = await api.POST("/api/recommendations/group/", {
      params: { query: { limit: 3 } },
      body: { user_ids: friendIds.slice(0, 7) },
    });
    if (night.error) {
      const why: string | string[] | undefined =
        "user_ids" in night.error ? night.error.user_ids : undefined;
      void why;
    } else {
      const stars: number[] = night.data.movies.flatMap((m) => m.predicted.map((p) => p.rating));
      void stars;
    }
  }
  const unread = await api.GET("/api/notifications/unread-count/");
  if (unread.data && unread.data.unread > 0) {
    await api.POST("/api/notifications/read/", { body: { up_to: unread.data.last_event_id } });
  }
  const feed = await api.GET("/api/feed/", { params: { query: { limit: 10 } } });
  const oldest = feed.data?.at(-1);
  if (oldest !== undefined) {
    await api.GET("/api/feed/", { params: { query: { before: oldest.id, limit: 10 } } });
  }
  if (bob !== undefined) {
    await api.POST("/api/user/{user_id}/block/", { params: { path: { user_id: bob.id } } });
    await api.DELETE("/api/user/{user_id}/block/", { params: { path: { user_id: bob.id } } });
  }
  void reasons;

  const renewed = await anonymous.POST("/api/token/refresh/", { body: {} });
  if (renewed.response.status === 401 && renewed.error) {
    void renewed.error.message;
  }
  const out = await api.POST("/api/user/logout/");
  if (out.error) {
    fail("logout", out.error);
  }
  return { profile: me.data, searchTotal, movie: detail.data, comments: comments.data };
}
