//! The bundled forum, with Postmill's URL shapes (WebArena's `__REDDIT__` runs Postmill):
//! `/forums`, `/f/FORUM`, `/f/FORUM/ID/SLUG` (a post with its comments), `/user/NAME`,
//! `/submit/FORUM`, votes, comments, and editing one's own posts. Threads are generated from a
//! fixed seed; a visitor's login, votes, posts, edits and comments live per session.
//!
//! Demo account: `alex_writes` / `hone123`.

use super::{esc, page, redirect, shell, slug, Rng, Sessions};
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

pub const USER: &str = "alex_writes";
pub const PASSWORD: &str = "hone123";

#[derive(Debug, Clone)]
pub struct Comment {
    pub author: String,
    pub text: String,
    pub up: i32,
    pub down: i32,
}

#[derive(Debug, Clone)]
pub struct Post {
    pub id: usize,
    pub forum: String,
    pub title: String,
    pub body: String,
    pub author: String,
    pub score: i32,
    pub date: String,
    pub comments: Vec<Comment>,
}

impl Post {
    pub fn url(&self) -> String {
        format!("/f/{}/{}/{}", self.forum, self.id, slug(&self.title))
    }
}

/// One visitor's state.
#[derive(Debug, Default)]
pub struct Visit {
    pub user: Option<String>,
    /// Post id → +1 / -1.
    pub votes: HashMap<usize, i32>,
    pub new_posts: Vec<Post>,
    /// Post id → (title, body) after an edit.
    pub edits: HashMap<usize, (String, String)>,
    pub comments: HashMap<usize, Vec<Comment>>,
    pub message: Option<String>,
}

pub struct Forum {
    pub forums: Vec<(String, String)>,
    pub posts: Vec<Post>,
    pub users: Vec<String>,
    pub sessions: Sessions<Visit>,
}

const FORUMS: &[(&str, &str)] = &[
    ("books", "Books: what are you reading?"),
    ("movies", "Movies and film talk"),
    ("technology", "Technology news and questions"),
    ("cooking", "Recipes, techniques and kitchen wins"),
    ("travel", "Travel stories and tips"),
    ("gardening", "Gardens, plants and growing food"),
];
const USERS: &[&str] = &[
    "alex_writes",
    "maria_k",
    "tobias99",
    "quietreader",
    "chef_ronnie",
    "wanderlust_jo",
    "greenthumb",
    "pixel_pusher",
    "nora_b",
    "dave_the_dev",
    "luna_m",
    "old_sailor",
];
const TOPICS: &[&str] = &[
    "Best {} of the year so far?",
    "Beginner question about {}",
    "What changed your mind about {}?",
    "Underrated {} you love",
    "Tips for getting into {}",
    "My weekend {} project",
    "Unpopular opinion on {}",
    "Looking for {} recommendations",
];
const NOUNS: &[(&str, &str)] = &[
    ("books", "novels"),
    ("movies", "films"),
    ("technology", "laptops"),
    ("cooking", "bread"),
    ("travel", "road trips"),
    ("gardening", "tomatoes"),
];
const REPLIES: &[&str] = &[
    "Totally agree with this.",
    "I had the opposite experience, honestly.",
    "Thanks, this was really helpful!",
    "Can you share more details?",
    "This is the way.",
    "Not sure about that, but interesting take.",
];

impl Default for Forum {
    fn default() -> Self {
        Self::new()
    }
}

impl Forum {
    pub fn new() -> Self {
        let mut r = Rng::new(0xF0_2026);
        let mut posts = Vec::new();
        for (i, (f, _)) in FORUMS.iter().enumerate() {
            let noun = NOUNS[i].1;
            for k in 0..7 {
                let id = 100 + posts.len() * 7 + k % 3;
                let title = TOPICS[(k + i) % TOPICS.len()].replace("{}", noun);
                let n = r.below(5);
                let comments = (0..n)
                    .map(|_| Comment {
                        author: r.pick(USERS).to_string(),
                        text: r.pick(REPLIES).to_string(),
                        up: r.below(12) as i32,
                        down: r.below(6) as i32,
                    })
                    .collect();
                posts.push(Post {
                    id,
                    forum: f.to_string(),
                    body: format!(
                        "I have been thinking about {noun} lately. {} What do you all think?",
                        r.pick(REPLIES)
                    ),
                    title,
                    author: USERS[1 + r.below(USERS.len() - 1)].to_string(),
                    score: r.below(60) as i32 - 5,
                    date: format!("2026-{:02}-{:02}", 1 + r.below(10), 1 + r.below(28)),
                    comments,
                });
            }
        }
        Self {
            forums: FORUMS
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            posts,
            users: USERS.iter().map(|u| u.to_string()).collect(),
            sessions: Sessions::default(),
        }
    }

    /// Every post as the visitor sees it (their edits, new posts, comments and votes applied).
    pub fn view(&self, v: &Visit) -> Vec<Post> {
        let mut all: Vec<Post> = self.posts.iter().chain(&v.new_posts).cloned().collect();
        for p in &mut all {
            if let Some((t, b)) = v.edits.get(&p.id) {
                p.title = t.clone();
                p.body = b.clone();
            }
            if let Some(c) = v.comments.get(&p.id) {
                p.comments.extend(c.iter().cloned());
            }
            p.score += v.votes.get(&p.id).copied().unwrap_or(0);
        }
        all
    }
}

type Shared = State<Arc<Forum>>;

fn nav(v: &Visit) -> String {
    format!(
        "<a href=\"/\">Postmill</a><a href=\"/forums\">Forums</a>\
         <form action=\"/search\" method=get style=\"display:inline\"><input name=q aria-label=\"Search\" placeholder=\"Search\"><button>Search</button></form>{}",
        match &v.user {
            Some(u) => format!("<a href=\"/user/{u}\">{u}</a><a href=\"/logout\">Log out</a>"),
            None => "<a href=\"/login\">Log in</a>".into(),
        }
    )
}

fn listing(posts: &[&Post]) -> String {
    let mut s = String::from("<ul>");
    for p in posts {
        s.push_str(&format!(
            "<li class=card><a href=\"{}\">{}</a> <span>{} points</span> <span>submitted by <a href=\"/user/{}\">{}</a> to <a href=\"/f/{}\">{}</a> on {}</span> <a href=\"{}\">{} comments</a></li>",
            p.url(), esc(&p.title), p.score, p.author, p.author, p.forum, p.forum, p.date, p.url(), p.comments.len()
        ));
    }
    s.push_str("</ul>");
    s
}

async fn home(State(f): Shared, h: HeaderMap) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let html = f.sessions.with(&id, |v| {
        let all = f.view(v);
        let mut top: Vec<&Post> = all.iter().collect();
        top.sort_by_key(|p| std::cmp::Reverse(p.score));
        top.truncate(12);
        shell("Postmill", "Hot posts", &nav(v), &listing(&top))
    });
    page(html, cookie)
}

async fn forums(State(f): Shared, h: HeaderMap) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let html = f.sessions.with(&id, |v| {
        let mut b =
            String::from("<table><tr><th>Forum</th><th>Description</th><th>Posts</th></tr>");
        let all = f.view(v);
        for (name, desc) in &f.forums {
            let n = all.iter().filter(|p| &p.forum == name).count();
            b.push_str(&format!(
                "<tr><td><a href=\"/f/{name}\">{name}</a></td><td>{}</td><td>{n}</td></tr>",
                esc(desc)
            ));
        }
        b.push_str("</table>");
        shell("Postmill", "List of forums", &nav(v), &b)
    });
    page(html, cookie)
}

async fn forum(State(f): Shared, h: HeaderMap, Path(name): Path<String>) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let html = f.sessions.with(&id, |v| {
        let Some((_, desc)) = f.forums.iter().find(|x| x.0 == name) else {
            return shell(
                "Postmill",
                "Page not found",
                &nav(v),
                "<p>No such forum.</p>",
            );
        };
        let all = f.view(v);
        let mut posts: Vec<&Post> = all.iter().filter(|p| p.forum == name).collect();
        posts.sort_by_key(|p| std::cmp::Reverse(p.id));
        let b = format!(
            "<p>{}</p><p><a href=\"/submit/{name}\">Submit a new post</a></p>{}",
            esc(desc),
            listing(&posts)
        );
        shell("Postmill", &format!("/f/{name}"), &nav(v), &b)
    });
    page(html, cookie)
}

fn post_page(v: &Visit, p: &Post) -> String {
    let mine = v.user.as_deref() == Some(p.author.as_str());
    let mut b = format!(
        "<article><p>{}</p><p>Submitted by <a href=\"/user/{}\">{}</a> on {}</p><p class=score>{} points</p>\
         <form action=\"/vote/{}\" method=post style=display:inline><input type=hidden name=dir value=1><button aria-label=\"Upvote\">Upvote</button></form>\
         <form action=\"/vote/{}\" method=post style=display:inline><input type=hidden name=dir value=-1><button aria-label=\"Downvote\">Downvote</button></form>{}</article>",
        esc(&p.body), p.author, p.author, p.date, p.score, p.id, p.id,
        if mine { format!(" <a href=\"{}/edit\">Edit</a>", p.url()) } else { String::new() }
    );
    b.push_str(&format!("<h2>{} comments</h2>", p.comments.len()));
    for c in &p.comments {
        b.push_str(&format!(
            "<div class=card><p><a href=\"/user/{}\">{}</a> ({} upvotes, {} downvotes)</p><p>{}</p></div>",
            c.author, c.author, c.up, c.down, esc(&c.text)
        ));
    }
    if v.user.is_some() {
        b.push_str(&format!(
            "<form action=\"{}/comment\" method=post><label for=ctext>Comment</label> <textarea id=ctext name=text required></textarea><button type=submit>Post comment</button></form>",
            p.url()
        ));
    } else {
        b.push_str("<p><a href=\"/login\">Log in</a> to comment.</p>");
    }
    b
}

/// `/f/FORUM/ID` and `/f/FORUM/ID/` show the post too (Postmill accepts them).
async fn show_post_short(
    state: Shared,
    h: HeaderMap,
    Path((name, pid)): Path<(String, usize)>,
) -> Response {
    show_post(state, h, Path((name, pid, String::new()))).await
}

async fn show_post(
    State(f): Shared,
    h: HeaderMap,
    Path((name, pid, _slug)): Path<(String, usize, String)>,
) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let html = f.sessions.with(&id, |v| {
        let all = f.view(v);
        match all.iter().find(|p| p.id == pid && p.forum == name) {
            Some(p) => shell("Postmill", &p.title, &nav(v), &post_page(v, p)),
            None => shell(
                "Postmill",
                "Page not found",
                &nav(v),
                "<p>No such post.</p>",
            ),
        }
    });
    page(html, cookie)
}

#[derive(Deserialize)]
struct VoteForm {
    dir: i32,
}

async fn vote(
    State(f): Shared,
    h: HeaderMap,
    Path(pid): Path<usize>,
    Form(form): Form<VoteForm>,
) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let back = f.sessions.with(&id, |v| {
        if v.user.is_some() {
            v.votes.insert(pid, form.dir.signum());
        }
        f.view(v).into_iter().find(|p| p.id == pid).map(|p| p.url())
    });
    redirect(&back.unwrap_or_else(|| "/".into()), cookie)
}

#[derive(Deserialize)]
struct TextForm {
    text: String,
}

async fn comment(
    State(f): Shared,
    h: HeaderMap,
    Path((name, pid, s)): Path<(String, usize, String)>,
    Form(form): Form<TextForm>,
) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    f.sessions.with(&id, |v| {
        if let Some(u) = v.user.clone() {
            if !form.text.trim().is_empty() {
                v.comments.entry(pid).or_default().push(Comment {
                    author: u,
                    text: form.text.trim().to_string(),
                    up: 1,
                    down: 0,
                });
            }
        }
    });
    redirect(&format!("/f/{name}/{pid}/{s}"), cookie)
}

async fn submit_page(State(f): Shared, h: HeaderMap, Path(name): Path<String>) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let html = f.sessions.with(&id, |v| {
        v.user.as_ref()?;
        Some(shell(
            "Postmill",
            &format!("Submit a new post to /f/{name}"),
            &nav(v),
            &format!(
                "<form action=\"/submit/{name}\" method=post><p><label for=title>Title</label> <input id=title name=title required></p>\
                 <p><label for=body>Body</label> <textarea id=body name=body></textarea></p><button type=submit>Create submission</button></form>"
            ),
        ))
    });
    match html {
        Some(h) => page(h, cookie),
        None => redirect("/login", cookie),
    }
}

#[derive(Deserialize)]
struct PostForm {
    title: String,
    #[serde(default)]
    body: String,
}

async fn submit(
    State(f): Shared,
    h: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<PostForm>,
) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let to = f.sessions.with(&id, |v| {
        let u = v.user.clone()?;
        if form.title.trim().is_empty() || !f.forums.iter().any(|x| x.0 == name) {
            return None;
        }
        let p = Post {
            id: 1000 + v.new_posts.len(),
            forum: name.clone(),
            title: form.title.trim().to_string(),
            body: form.body.trim().to_string(),
            author: u,
            score: 1,
            date: "2026-11-30".into(),
            comments: vec![],
        };
        let url = p.url();
        v.new_posts.push(p);
        Some(url)
    });
    redirect(&to.unwrap_or_else(|| format!("/submit/{name}")), cookie)
}

async fn edit_page(
    State(f): Shared,
    h: HeaderMap,
    Path((name, pid, s)): Path<(String, usize, String)>,
) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let html = f.sessions.with(&id, |v| {
        let p = f.view(v).into_iter().find(|p| p.id == pid)?;
        if v.user.as_deref() != Some(p.author.as_str()) {
            return None;
        }
        Some(shell(
            "Postmill",
            "Edit submission",
            &nav(v),
            &format!(
                "<form action=\"/f/{name}/{pid}/{s}/edit\" method=post><p><label for=title>Title</label> <input id=title name=title value=\"{}\" required></p>\
                 <p><label for=body>Body</label> <textarea id=body name=body>{}</textarea></p><button type=submit>Save</button></form>",
                esc(&p.title), esc(&p.body)
            ),
        ))
    });
    match html {
        Some(h) => page(h, cookie),
        None => redirect("/login", cookie),
    }
}

async fn edit(
    State(f): Shared,
    h: HeaderMap,
    Path((name, pid, _s)): Path<(String, usize, String)>,
    Form(form): Form<PostForm>,
) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let to = f.sessions.with(&id, |v| {
        let p = f.view(v).into_iter().find(|p| p.id == pid)?;
        if v.user.as_deref() != Some(p.author.as_str()) {
            return None;
        }
        if let Some(np) = v.new_posts.iter_mut().find(|x| x.id == pid) {
            np.title = form.title.trim().to_string();
            np.body = form.body.trim().to_string();
        } else {
            v.edits.insert(
                pid,
                (form.title.trim().to_string(), form.body.trim().to_string()),
            );
        }
        Some(format!("/f/{name}/{pid}/{}", slug(form.title.trim())))
    });
    redirect(&to.unwrap_or_else(|| "/".into()), cookie)
}

async fn user(State(f): Shared, h: HeaderMap, Path(name): Path<String>) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let html =
        f.sessions.with(&id, |v| {
            if !f.users.contains(&name) {
                return shell(
                    "Postmill",
                    "Page not found",
                    &nav(v),
                    "<p>No such user.</p>",
                );
            }
            let all = f.view(v);
            let posts: Vec<&Post> = all.iter().filter(|p| p.author == name).collect();
            let mut b = format!("<h2>Submissions ({})</h2>{}", posts.len(), listing(&posts));
            b.push_str("<h2>Comments</h2><ul>");
            let mut n = 0;
            for p in &all {
                for c in p.comments.iter().filter(|c| c.author == name) {
                    n += 1;
                    b.push_str(&format!(
                    "<li class=card>On <a href=\"{}\">{}</a>: {} ({} upvotes, {} downvotes)</li>",
                    p.url(), esc(&p.title), esc(&c.text), c.up, c.down
                ));
                }
            }
            b.push_str(&format!("</ul><p>{n} comments</p>"));
            shell("Postmill", &name, &nav(v), &b)
        });
    page(html, cookie)
}

#[derive(Deserialize)]
struct SearchQ {
    #[serde(default)]
    q: String,
}

async fn search(State(f): Shared, h: HeaderMap, Query(q): Query<SearchQ>) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let html = f.sessions.with(&id, |v| {
        let needle = q.q.to_lowercase();
        let all = f.view(v);
        let hits: Vec<&Post> = all
            .iter()
            .filter(|p| {
                !needle.is_empty()
                    && (p.title.to_lowercase().contains(&needle)
                        || p.body.to_lowercase().contains(&needle))
            })
            .collect();
        shell(
            "Postmill",
            &format!("Search: {}", q.q),
            &nav(v),
            &format!("<p>{} results</p>{}", hits.len(), listing(&hits)),
        )
    });
    page(html, cookie)
}

async fn login_page(State(f): Shared, h: HeaderMap) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let html = f.sessions.with(&id, |v| {
        let msg = v.message.take().map(|m| format!("<p role=alert>{}</p>", esc(&m))).unwrap_or_default();
        shell(
            "Postmill",
            "Log in",
            &nav(v),
            &format!(
                "{msg}<form action=\"/login\" method=post><p><label for=username>Username</label> <input id=username name=username required></p>\
                 <p><label for=password>Password</label> <input id=password name=password type=password required></p><button type=submit>Log in</button></form>"
            ),
        )
    });
    page(html, cookie)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login(State(f): Shared, h: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    let ok = form.username.trim() == USER && form.password == PASSWORD;
    f.sessions.with(&id, |v| {
        if ok {
            v.user = Some(USER.into());
        } else {
            v.message = Some("Invalid credentials.".into());
        }
    });
    redirect(if ok { "/" } else { "/login" }, cookie)
}

async fn logout(State(f): Shared, h: HeaderMap) -> Response {
    let (id, cookie) = f.sessions.id(&h);
    f.sessions.with(&id, |v| v.user = None);
    redirect("/", cookie)
}

/// The forum's routes.
pub fn router(f: Arc<Forum>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/forums", get(forums))
        .route("/f/{name}", get(forum))
        .route("/f/{name}/{id}", get(show_post_short))
        .route("/f/{name}/{id}/", get(show_post_short))
        .route("/f/{name}/{id}/{slug}", get(show_post))
        .route("/f/{name}/{id}/{slug}/comment", post(comment))
        .route("/f/{name}/{id}/{slug}/edit", get(edit_page).post(edit))
        .route("/vote/{id}", post(vote))
        .route("/submit/{name}", get(submit_page).post(submit))
        .route("/user/{name}", get(user))
        .route("/search", get(search))
        .route("/login", get(login_page).post(login))
        .route("/logout", get(logout))
        .with_state(f)
}
