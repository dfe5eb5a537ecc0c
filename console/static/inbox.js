/* Hộp thư chuyển cán bộ: refresh the inbox list and the open conversation without reloading.
 *
 * Why a separate file: the console's CSP is default-src 'self' (no inline script). The pages
 * work without JavaScript (reload to refresh); this only polls the small JSON endpoints named in
 * data-poll-url every data-poll-seconds and rebuilds the list / transcript with textContent
 * (never innerHTML: every text here was typed by a member of the public or an officer).
 * The reply textarea is never touched, so a refresh cannot lose what the officer is typing.
 */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  /* "tự cập nhật mỗi 5 giây" / a visible warning when the refresh fails (network, logged out) */
  function pollState(ok, seconds) {
    Array.prototype.forEach.call(document.querySelectorAll(".js-refreshed"), function (n) {
      n.textContent = ok ? "tự cập nhật mỗi " + seconds + " giây"
                         : "chưa cập nhật được (mất kết nối hoặc hết phiên) — mời tải lại trang";
      n.classList.toggle("poll-failed", !ok);
    });
  }

  function poll(node, apply) {
    var url = node.getAttribute("data-poll-url");
    var seconds = Math.max(2, parseInt(node.getAttribute("data-poll-seconds"), 10) || 5);
    var busy = false;
    function tick() {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: "same-origin", cache: "no-store",
                   headers: { "Accept": "application/json", "X-Console-Poll": "1" } })
        .then(function (resp) {
          if (resp.redirected || !resp.ok) throw new Error("HTTP " + resp.status);  // logged out
          return resp.json();
        })
        .then(function (data) { apply(data); pollState(true, seconds); })
        .catch(function () { pollState(false, seconds); })
        .then(function () { busy = false; });
    }
    setInterval(tick, seconds * 1000);
    document.addEventListener("visibilitychange", tick);
  }

  /* ---- the list (/inbox) ---- */
  var COLUMNS = [
    ["Trạng thái", function (r) {
      return el("span", "badge " + (r.status === "waiting" ? "wait" : "ok"), r.status_label);
    }],
    ["Đã chờ", function (r) { return r.waiting || "—"; }],
    ["Kênh", function (r) { return r.channel_label; }],
    ["Lý do", function (r) { return r.reason_label; }],
    ["Yêu cầu lúc", function (r) { return r.requested; }],
    ["Cán bộ", function (r) { return r.officer || "—"; }]
  ];

  function renderRows(tbody, data) {
    var rows = Array.isArray(data.open) ? data.open : [];
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    if (!rows.length) {
      var tr = el("tr", "empty");
      var td = el("td", "muted", "Dạ, hiện không có cuộc trò chuyện nào cần cán bộ.");
      td.colSpan = 7;
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
    rows.forEach(function (r) {
      var tr = el("tr", "status-" + String(r.status));
      COLUMNS.forEach(function (col) {
        var td = el("td");
        td.setAttribute("data-label", col[0]);
        var value = col[1](r);
        if (typeof value === "string") td.textContent = value; else td.appendChild(value);
        tr.appendChild(td);
      });
      var link = el("a", "button primary", "Mở");
      link.href = "/inbox/" + encodeURIComponent(String(r.id));
      var last = el("td");
      last.appendChild(link);
      tr.appendChild(last);
      tbody.appendChild(tr);
    });
  }

  var inbox = document.getElementById("inbox");
  if (inbox) {
    var tbody = inbox.querySelector(".js-rows");
    var waiting = inbox.querySelector(".js-waiting");
    poll(inbox, function (data) {
      renderRows(tbody, data);
      if (waiting) waiting.textContent = String(data.waiting || 0);
      var waitingCount = data.waiting || 0;
      document.title = document.title.replace(/^\(\d+\) /, "");
      if (waitingCount) document.title = "(" + waitingCount + ") " + document.title;
    });
  }

  /* ---- one conversation (/inbox/{id}) ---- */
  var WHO = { user: "Người dùng", bot: "Trợ lý", note: "Hệ thống" };

  function renderTurns(list, turns) {
    var atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
    while (list.firstChild) list.removeChild(list.firstChild);
    turns.forEach(function (t) {
      var li = el("li", "turn turn-" + String(t.kind));
      li.appendChild(el("span", "who", t.kind === "officer" ? "Cán bộ " + (t.officer || "") : (WHO[t.kind] || "")));
      li.appendChild(el("span", "at", t.at || ""));
      var body = el("div", "text");
      if (t.tapped) {
        body.appendChild(el("span", "tapped", "bấm nút"));
        body.appendChild(document.createTextNode(" «" + (t.text || "") + "»"));
      } else {
        body.textContent = t.text || "";
      }
      li.appendChild(body);
      if (Array.isArray(t.buttons) && t.buttons.length) {
        var ul = el("ul", "buttons");
        t.buttons.forEach(function (b) { ul.appendChild(el("li", null, String(b))); });
        li.appendChild(ul);
      }
      list.appendChild(li);
    });
    if (atBottom) window.scrollTo(0, document.body.scrollHeight);
  }

  var transcript = document.querySelector(".js-transcript");
  if (transcript) {
    var shown = transcript.children.length;
    var status = document.querySelector(".js-status");
    var paused = document.querySelector(".js-paused");
    poll(transcript, function (data) {
      if (Array.isArray(data.turns) && data.turns.length !== shown) {
        renderTurns(transcript, data.turns);
        shown = data.turns.length;
      }
      if (status && data.status_label) status.textContent = data.status_label;
      if (paused && data.paused !== null && data.paused !== undefined) {
        paused.textContent = data.paused ? "Trợ lý đang tạm dừng" : "Trợ lý tự động đang trả lời";
      }
    });
  }
})();
