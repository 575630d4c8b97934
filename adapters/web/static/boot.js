// The page's first requests, started while the page is still being read.
// This classic script runs as soon as it is parsed (in <head>); the app
// (a module) runs only once the whole document is, and then takes these
// answers instead of asking again. Nothing else happens here.
"use strict";
(() => {
  let token = null;
  try {
    token = sessionStorage.getItem("smsinbox.token");
  } catch {
    token = null; // storage refused (privacy settings): sign-in asks
  }
  if (!token) return;
  // Each is the response with its body read ({res, text}), as the app's
  // own requests are.
  const get = (path) => {
    const answer = fetch(path, { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" })
      .then((res) => res.text().then((text) => ({ res, text })));
    answer.catch(() => {}); // the app reports a failure, when it looks
    return answer;
  };
  window.smsinboxEarly = {
    token,
    me: get("/api/me"),
    threads: get("/api/threads?folder=inbox&limit=50"),
  };
})();
